"""The frozen bundle's entry point: the same command line as the ``scc-desktop`` script."""

import multiprocessing
import sys

from scc_desktop.cli import main

if __name__ == "__main__":
    # A frozen program re-runs itself for any child process multiprocessing starts; without
    # this the child would parse the parent's command line and open a second window.
    multiprocessing.freeze_support()
    sys.exit(main())
