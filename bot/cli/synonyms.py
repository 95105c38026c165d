"""`canwe synonyms`: the words PMs teach the matcher (`sso` means `single sign-on`)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import command_context, load_settings

synonyms_app = typer.Typer(
    help="List and edit synonyms the matcher uses (both ways: sso <-> single sign-on).",
    no_args_is_help=True,
)


def _sessions():
    return command_context(load_settings(), migrate=True).sessions


@synonyms_app.command("list")
def list_() -> None:
    """Print every synonym, one `term = means` a line."""
    from store.db import session_scope
    from store.search import list_synonyms

    with session_scope(_sessions()) as session:
        for term, means in list_synonyms(session=session):
            typer.echo(f"{term} = {means}")


@synonyms_app.command()
def add(
    term: Annotated[str, typer.Argument(help='the word reps use, e.g. "byok"')],
    means: Annotated[str, typer.Argument(help='what it means, e.g. "customer managed keys"')],
) -> None:
    """Add a synonym, or change what TERM means."""
    from store.db import session_scope
    from store.search import set_synonym

    try:
        with session_scope(_sessions()) as session:
            set_synonym(session=session, term=term, means=means)
    except ValueError as error:
        typer.echo(f"canwe synonyms add: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"{term.lower().strip()} = {means.lower().strip()}")


@synonyms_app.command()
def remove(term: Annotated[str, typer.Argument(help="the term to forget")]) -> None:
    """Remove a synonym."""
    from store.db import session_scope
    from store.search import remove_synonym

    with session_scope(_sessions()) as session:
        removed = remove_synonym(session=session, term=term)
    if not removed:
        typer.echo(f"canwe synonyms remove: no synonym {term!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"removed {term.lower().strip()}")


@synonyms_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="CSV with columns term,means", exists=True, dir_okay=False)
    ],
) -> None:
    """Add or update synonyms from a CSV file (columns `term`, `means`), in one transaction."""
    from store.db import session_scope
    from store.search import set_synonym

    with file.open(newline="") as f:
        rows = list(csv.DictReader(f))
    try:
        with session_scope(_sessions()) as session:
            for n, row in enumerate(rows, start=2):
                try:
                    set_synonym(
                        session=session, term=row.get("term") or "", means=row.get("means") or ""
                    )
                except ValueError as error:
                    raise ValueError(f"{file}, row {n}: {error}") from error
    except ValueError as error:
        typer.echo(f"canwe synonyms import: nothing imported. {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"{file}: {len(rows)} synonyms")
