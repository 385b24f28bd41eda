"""The ``synthset`` command: a thin argparse layer over the library's faces."""
