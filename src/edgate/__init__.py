"""EdGate: identity and access portal for state education agencies."""

__version__ = "0.1.0"
