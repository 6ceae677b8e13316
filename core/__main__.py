"""``python -m tokenplan``: the ``tokenplan`` command."""

from tokenplan.cli import main

main()
