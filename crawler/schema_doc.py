"""docs/schema.md read as data: table and column descriptions and the example queries.

`policy-ingest browse` shows them in Datasette. The installed package carries them as
`crawler/browse_metadata.json`, made from the doc by `python -m crawler.schema_doc`; a test
keeps the two in step. Pure functions over the Markdown text.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

METADATA_FILE = Path(__file__).resolve().parent / "browse_metadata.json"
DOC = Path(__file__).resolve().parent.parent / "docs" / "schema.md"

#: A ```sql block, with its optional backend or store tag (sqlite, postgresql, policy).
SQL_BLOCK = re.compile(r"```sql( sqlite| postgresql| policy)?\n(.*?)```", re.S)
_HEADING = re.compile(r"^(#{2,3}) (.*)$")
_NAME = re.compile(r"`([a-z_][a-z0-9_]*)`")


@dataclass(frozen=True)
class ExampleQuery:
    title: str  # the sentence that introduces it, without its colon
    sql: str
    tag: str  # "" (any store), "sqlite", "postgresql" or "policy" (a store of policy documents)

    @property
    def name(self) -> str:
        """A URL-friendly name from the title's Latin words before any parenthesis."""
        head = re.split(r"[(:（]", self.title, maxsplit=1)[0]
        words = re.findall(r"[a-z0-9]+", head.lower().replace("'", ""))
        return "-".join(words) or "query"


def plain(markdown: str) -> str:
    """Inline Markdown as plain text: no code ticks, no emphasis."""
    return re.sub(r"\*\*([^*]+)\*\*", r"\1", markdown.replace("`", "")).strip()


def example_queries(doc: str) -> list[ExampleQuery]:
    """Every ```sql block of the doc with the sentence before it."""
    queries: list[ExampleQuery] = []
    for match in SQL_BLOCK.finditer(doc):
        before = doc[:match.start()].rstrip().rsplit("\n\n", 1)[-1].strip()
        title = plain(before).rstrip(":：").strip() if not before.startswith("```") else ""
        if not title and queries:
            title = queries[-1].title  # a second backend's version of the query before it
        queries.append(ExampleQuery(title, match.group(2).strip(), (match.group(1) or "").strip()))
    return queries


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _meanings(meaning: str, count: int) -> list[str]:
    """One meaning per column of a row naming `count` columns: "索引号, 主题分类, 主题词" or
    "when …; when …" give one part each when the parts match the names one to one."""
    if count > 1:
        parts = meaning.split("; ")
        if len(parts) == count:
            return parts
        parts = meaning.split(", ")
        if len(parts) == count and not any(set(" ()") & set(part) for part in parts):
            return parts
    return [meaning] * count


def _parenthesis(text: str, start: int) -> str:
    """The text inside the balanced parenthesis opening at `text[start]`."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return text[start + 1:index]
    return text[start + 1:]


def table_descriptions(doc: str) -> dict[str, dict[str, Any]]:
    """{table: {"description": ..., "columns": {column: description}}} from the doc's sections:
    `## `name` — what a row is` headings with a column | meaning table, the policy-field
    section that names its tables, the views and the other tables' paragraph."""
    tables: dict[str, dict[str, Any]] = {}
    current: list[str] = []  # the tables the rows below describe
    section = ""
    columns_table = False  # inside a Markdown table whose first header is "column"
    for line in doc.splitlines():
        heading = _HEADING.match(line)
        if heading:
            section = heading.group(2)
            columns_table = False
            if heading.group(1) == "##" and " — " in section:
                name, description = section.split(" — ", 1)
                current = _NAME.findall(name)[:1]
                for table in current:
                    tables.setdefault(table, {"columns": {}})["description"] = plain(description)
            elif heading.group(1) == "###":
                current = _NAME.findall(section)  # "Policy fields (on `articles` and `article_copies`)"
            else:
                current = []
            continue
        if line.startswith("|") and current:
            cells = _cells(line)
            if set(line) <= set("|-: "):
                continue
            if cells[0] in ("column", "value"):
                columns_table = cells[0] == "column"
                continue
            if columns_table and len(cells) >= 2:
                contract = " (contract)" if "**contract**" in cells[0] else ""
                names = _NAME.findall(cells[0])
                for column, meaning in zip(names, _meanings(plain(cells[1]), len(names))):
                    for table in current:
                        tables.setdefault(table, {"columns": {}})["columns"][column] = (
                            meaning + contract)
            continue
        if section == "Views" and line.startswith("- `"):
            name = _NAME.match(line[2:])
            if name:
                tables.setdefault(name.group(1), {"columns": {}})["description"] = plain(
                    line[2 + name.end():].lstrip(": "))
        elif section == "Views" and line.startswith("  ") and tables:
            view = list(tables)[-1]
            tables[view]["description"] += " " + plain(line)
    other = re.search(r"## Other tables\n\n(.*?)\n\n", doc, re.S)
    if other:
        text = " ".join(other.group(1).split())
        for match in re.finditer(r"`([a-z_]+)` \(", text):
            tables.setdefault(match.group(1), {"columns": {}}).setdefault(
                "description", plain(_parenthesis(text, match.end() - 1)))
    return tables


def metadata_from_doc(doc: str) -> dict[str, Any]:
    """The doc's part of the Datasette metadata: tables and the queries that run on SQLite."""
    queries: dict[str, Any] = {}
    for query in example_queries(doc):
        if query.tag == "postgresql":
            continue
        name, n = query.name, 2
        while name in queries:
            name, n = f"{query.name}-{n}", n + 1
        description = "From docs/schema.md."
        if query.tag == "policy":
            description += " For a store of policy documents (the demo web has none)."
        queries[name] = {"sql": query.sql.rstrip(";").strip(), "title": query.title,
                         "description": description}
    return {"tables": table_descriptions(doc), "queries": queries}


def main(argv: list[str]) -> int:
    """Write crawler/browse_metadata.json from docs/schema.md (`--check`: only compare)."""
    made = json.dumps(metadata_from_doc(DOC.read_text("utf-8")), ensure_ascii=False, indent=1) + "\n"
    if "--check" in argv:
        same = METADATA_FILE.exists() and METADATA_FILE.read_text("utf-8") == made
        print(f"{METADATA_FILE.name} is {'in step with' if same else 'behind'} docs/schema.md")
        return 0 if same else 1
    METADATA_FILE.write_text(made, encoding="utf-8")
    print(f"wrote {METADATA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
