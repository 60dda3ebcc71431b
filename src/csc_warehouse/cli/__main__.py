"""python -m csc_warehouse.cli"""

import sys

from csc_warehouse.cli import main

sys.exit(main())
