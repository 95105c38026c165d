"""`python -m bot.cli`: the same as the `canwe` command."""

from bot.cli import main

# guarded: the processes of `canwe serve --processes N` are started by importing this module
if __name__ == "__main__":
    main()
