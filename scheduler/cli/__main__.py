"""`python -m scheduler.cli`: the `tandem` command."""

from scheduler.cli.main import main

main()
