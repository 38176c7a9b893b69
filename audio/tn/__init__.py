"""The passes of Vietnamese text normalisation, one module per kind of written thing.

:mod:`audio.normalize` runs them in order; see its docstring for why the order matters.
"""
