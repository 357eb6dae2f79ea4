"""Spam cleaning of extracted text, one module a job, in the order `pipelines.clean` runs them:

- `vocabulary`: the one list of spam terms and topic words (the extractor reads it too);
- `repeated`: a body printed twice kept once;
- `title`: injected segments and the site suffix cut from a `<title>`;
- `counter`: the site paragraph counter — paragraphs planted on, or repeated as boilerplate
  across, many unrelated pages of a site;
- `lexicon`: spam paragraphs and spliced terms cut by the vocabulary;
- `structure`: the page's shape read without its words (sentences, keyword lists, repeated
  phrases, contact numbers, keyword or document title), for the verdict;
- `verdict`: whether a page is spam as a whole (rejected) or an article carrying spam (cleaned).

Each function takes text and returns the cleaned text *and* what it cut, so that the store keeps
the cuts in `removals`. Nothing here imports Scrapy.
"""
