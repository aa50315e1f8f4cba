"""The release of this package: written once here; setup.cfg, --version and /healthz read it."""

__version__ = "0.2.0"
