"""``wsdebug test``: grade a WebSocket server (or client) the way the Autobahn|Testsuite does.

:mod:`.cases` is the catalogue, :mod:`.grading` the pure grading model, :mod:`.session` runs one
case on an open connection, :mod:`.runner` grades a server, :mod:`.fuzzingserver` a client,
:mod:`.report` writes JSON, JUnit XML and HTML.
"""
