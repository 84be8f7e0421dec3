"""Settings for every pytest run, nbval's notebook kernels included (they inherit them)."""

import os

# Progress bars go to stderr, which nbval would compare with the stored outputs.
os.environ["NNCOURSE_PROGRESS"] = "0"
