"""The `smesurvey` command line.

Every command fails with a non-zero exit and one line naming the problem; the
work itself lives in plain modules that this file only calls (imported lazily
so `--help` stays fast).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from orchestration.settings import Home


class SurveyError(click.ClickException):
    """A failure the user can act on: printed as one line, exit code 1."""

    def show(self, file=None) -> None:
        click.echo(f"smesurvey: {self.format_message()}", err=True)


def _home(ctx: click.Context) -> Home:
    return ctx.obj["home"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SMESURVEY_HOME",
    default="data",
    show_default=True,
    help="SMESURVEY_HOME: inbox, landing, warehouse, dashboards and Dagster state live here.",
)
@click.pass_context
def cli(ctx: click.Context, home: Path) -> None:
    """SME digital-maturity survey warehouse: deliveries in, validated marts and dashboards out."""
    ctx.ensure_object(dict)
    ctx.obj["home"] = Home(home.resolve())


@cli.command()
@click.option(
    "--zones", type=int, default=7, show_default=True, help="Number of zones (the first is SH-01)."
)
@click.option(
    "--waves",
    default="2020-2025",
    show_default=True,
    help="Wave years, e.g. 2020-2025 or 2020,2022.",
)
@click.option(
    "--firms-per-zone",
    type=int,
    default=None,
    help="Respondents per zone-wave (default: the demo's 80-400, with SH-01 2020 = 99).",
)
@click.option(
    "--seed",
    type=int,
    default=20200701,
    show_default=True,
    help="Random seed: same seed, same bytes.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write <zone>/<wave>/ deliveries into.",
)
def generate(zones: int, waves: str, firms_per_zone: int | None, seed: int, out: Path) -> None:
    """Generate synthetic deliveries (platform CSV, paper XLSX, zone register)."""
    from orchestration.demo.generator import GeneratorConfig, parse_waves, write_deliveries

    try:
        config = GeneratorConfig(
            zones=zones, waves=parse_waves(waves), firms_per_zone=firms_per_zone, seed=seed
        )
    except ValueError as exc:
        raise SurveyError(str(exc)) from exc
    summary = write_deliveries(config, out)
    click.echo(summary.describe())


@cli.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Generate the demo deliveries and run the whole pipeline on them."""
    from orchestration.pipeline import run_demo

    home = _home(ctx).ensure()
    try:
        report = run_demo(home)
    except Exception as exc:  # one line for the operator, details in the run logs
        raise SurveyError(str(exc).splitlines()[0] if str(exc) else repr(exc)) from exc
    click.echo(report)


def main() -> None:
    cli(prog_name="smesurvey")


if __name__ == "__main__":
    sys.exit(main())
