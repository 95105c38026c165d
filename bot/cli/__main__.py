"""`python -m bot.cli`: the same as the `canwe` command."""

from bot.cli import main

main()
