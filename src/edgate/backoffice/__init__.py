"""The back-office consoles on the web: Directory Administrators and agency customer service.

(`edgate.console` is the command line and the demo loader; this package is the web pages the
people on the other side of the registrant use.) Every page is declared with `@console_page`
and finds every object through `scope`: the one place that says who may see and change what.
"""
