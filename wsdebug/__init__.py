"""wsdebug: a WebSocket protocol debugger; every byte of every frame, annotated.

The codec (:mod:`wsdebug.codec`) is a sans-I/O library the commands are built on.
"""

__version__ = "0.1.0"
