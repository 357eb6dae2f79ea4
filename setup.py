"""Build of the optional compiled kernels (`pipelines._kernels`); everything else is in
pyproject.toml. Without a C compiler the install still succeeds and the numpy versions of the
kernels run instead (`pipelines.kernels.COMPILED` tells which; a test fails if a machine with a
compiler did not build them)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "pipelines._kernels",
            sources=["pipelines/_kernels.c"],
            extra_compile_args=["-O3", "-std=c11"],
            optional=True,
        )
    ]
)
