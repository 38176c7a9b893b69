"""Loa xã station core: models, schedule, playout, evidence log and command line.

Nothing in this package imports Flask: the station daemon must run without the web panel.
"""
__version__ = "0.1.0"
