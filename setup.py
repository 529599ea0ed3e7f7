"""Build the optional C masking routine; everything else is in pyproject.toml.

If no C compiler is available the extension is skipped and wsdebug uses its pure-Python path.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("wsdebug.codec._speedups", ["wsdebug/codec/_speedups.c"], optional=True),
    ]
)
