"""python -m csc_warehouse"""

import sys

from csc_warehouse.cli import main

sys.exit(main())
