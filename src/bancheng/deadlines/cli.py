"""``bancheng calendar ...``: import, show, seed, list years, compute a deadline."""

from __future__ import annotations

import calendar as std_calendar
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from bancheng.core.cli import Env, flag, json_flag, pass_env
from bancheng.core.clock import SHANGHAI
from bancheng.core.db import Database
from bancheng.core.errors import DomainError
from bancheng.sla.calendar import (
    DayView,
    import_file,
    list_years,
    load_calendar,
    missing_years,
    seed_from_chinese_calendar,
    show_year,
)
from bancheng.sla.workdays import Deadline

_WEEKDAYS_ZH = "一二三四五六日"
_MARK = {"holiday": "休", "makeup_workday": "班"}


@contextmanager
def _session(db: Database, write: bool) -> Iterator[Session]:
    """A unit of work, with domain and schema errors turned into CLI errors."""
    try:
        with db.transaction(write=write) as session:
            yield session
    except DomainError as exc:
        lines = [f"{exc.code}: {exc.detail}"]
        for err in exc.extra.get("errors", [])[1:10]:
            lines.append(f"  第 {err['row']} 行 {err['code']}: {err['detail']}")
        raise click.ClickException("\n".join(lines)) from exc
    except (OperationalError, ProgrammingError) as exc:
        raise click.ClickException(
            f"数据库尚未初始化或无法访问(请先运行 bancheng db upgrade): {exc.orig}"
        ) from exc


@click.group("calendar")
def calendar_group() -> None:
    """工作日历: 国务院节假日安排(含调休)与期限计算。"""


@calendar_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", help="来源说明(默认取文件中的 source 列或文件名)。")
@pass_env
def import_command(env: Env, file: Path, source: str | None) -> None:
    """导入官方节假日安排(CSV 或 JSON: date, kind, festival),整年替换,全部成功或全部不导入。"""
    with _session(env.database, write=True) as session:
        result = import_file(session, file, source=source)
    replaced = (
        f",替换了已有的 {', '.join(map(str, result.replaced_years))} 年"
        if (result.replaced_years)
        else ""
    )
    click.echo(
        f"已导入 {', '.join(map(str, result.years))} 年: 放假 {result.holidays} 天,"
        f"调休上班 {result.makeup_workdays} 天{replaced}。"
    )


@calendar_group.command("seed")
@flag("--replace", "同时刷新以前由 chinesecalendar 导入的年份(管理员导入的年份不受影响)。")
@pass_env
def seed_command(env: Env, replace: bool) -> None:
    """从 chinesecalendar 软件包导入它覆盖的年份。"""
    with _session(env.database, write=True) as session:
        result = seed_from_chinese_calendar(session, replace=replace)
    if result is None:
        click.echo("没有需要导入的年份。")
    else:
        click.echo(
            f"已从 {result.source} 导入 {result.years[0]}–{result.years[-1]} 年"
            f"({len(result.years)} 年)。"
        )


@calendar_group.command("years")
@json_flag()
@pass_env
def years_command(env: Env, as_json: bool) -> None:
    """列出已载入的年份,并提示缺少数据的年份。"""
    with _session(env.database, write=False) as session:
        years = list_years(session)
        missing = missing_years(session)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "years": [
                        {
                            "year": y.year,
                            "source": y.source,
                            "loaded_at": y.loaded_at.isoformat(),
                            "complete": y.complete,
                            "holidays": y.holidays,
                            "makeup_workdays": y.makeup_workdays,
                        }
                        for y in years
                    ],
                    "missing": missing,
                },
                ensure_ascii=False,
            )
        )
        return
    for y in years:
        flag = "" if y.complete else " (不完整,未启用)"
        click.echo(
            f"{y.year}  放假 {y.holidays:3d} 天  调休上班 {y.makeup_workdays:2d} 天"
            f"  {y.source}{flag}"
        )
    if missing:
        click.echo(
            f"警告: {', '.join(map(str, missing))} 年没有节假日安排,"
            "期限按周一至周五推算并标记为暂定。",
            err=True,
        )


def _cell(day: int, kind: str | None) -> str:
    if day == 0:
        return "    "
    mark = _MARK.get(kind or "", "  ")
    return f"{day:2d}{mark}"


@calendar_group.command("show")
@click.argument("year", type=int)
@pass_env
def show_command(env: Env, year: int) -> None:
    """按月显示一年的日历: 休 = 放假, 班 = 调休上班。"""
    with _session(env.database, write=False) as session:
        view = show_year(session, year)
    kinds = {d.date: d.kind for d in view.days}
    header = (
        f"{year} 年  来源: {view.source}"
        if view.known
        else (f"{year} 年  没有节假日安排: 以下按周一至周五推算(暂定)")
    )
    click.echo(header)
    for month in range(1, 13):
        click.echo(f"\n{month:2d} 月")
        click.echo(" ".join(f" {w}" + " " for w in _WEEKDAYS_ZH))
        for week in std_calendar.Calendar(firstweekday=0).monthdayscalendar(year, month):
            cells = [_cell(d, kinds.get(date(year, month, d)) if d else None) for d in week]
            click.echo(" ".join(cells).rstrip())
    festivals: dict[str, list[DayView]] = {}
    for d in view.days:
        if d.kind in _MARK and d.festival:
            festivals.setdefault(d.festival, []).append(d)
    if festivals:
        click.echo("")
        for name, days in sorted(festivals.items(), key=lambda item: _first_day_off(item[1])):
            off = [d.date for d in days if d.kind == "holiday"]
            on = [d.date for d in days if d.kind == "makeup_workday"]
            text = f"{name}: 放假 {_ranges(off)}" if off else f"{name}:"
            if on:
                text += f";调休上班 {'、'.join(_md(d) for d in on)}"
            click.echo(text)


def _first_day_off(days: list[DayView]) -> date:
    return min((d.date for d in days if d.kind == "holiday"), default=days[0].date)


def _md(day: date) -> str:
    return f"{day.month}/{day.day}"


def _ranges(days: list[date]) -> str:
    """``[1/1, 1/2, 1/3, 2/15]`` as ``1/1–1/3、2/15``."""
    parts: list[str] = []
    start = prev = days[0]
    for d in [*days[1:], None]:
        if d is not None and (d - prev).days == 1:
            prev = d
            continue
        parts.append(_md(start) if start == prev else f"{_md(start)}–{_md(prev)}")
        if d is not None:
            start = prev = d
    return "、".join(parts)


def _parse_start(raw: str) -> date | datetime:
    try:
        if "T" in raw or " " in raw.strip():
            moment = datetime.fromisoformat(raw.strip())
            return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
        return date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise click.BadParameter(f"不是 ISO 日期或时间: {raw!r}", param_hint="--start") from exc


@calendar_group.command("deadline")
@click.option(
    "--start",
    "start_raw",
    required=True,
    help="受理日期 2026-09-24 或时刻 2026-09-24T15:00(北京时间)。",
)
@click.option("--workdays", type=int, help="时限: 工作日数。")
@click.option("--working-hours", type=float, help="时限: 工作小时(按办公时间)。")
@click.option("--calendar-hours", type=float, help="时限: 自然小时。")
@json_flag('输出 {"deadline": ..., "provisional": ...}。')
@pass_env
def deadline_command(
    env: Env,
    start_raw: str,
    workdays: int | None,
    working_hours: float | None,
    calendar_hours: float | None,
    as_json: bool,
) -> None:
    """计算期限(按已载入的工作日历)。"""
    given = [v is not None for v in (workdays, working_hours, calendar_hours)]
    if sum(given) != 1:
        raise click.UsageError(
            "请给出且只给出 --workdays、--working-hours、--calendar-hours 之一。"
        )
    start = _parse_start(start_raw)
    with _session(env.database, write=False) as session:
        cal = load_calendar(session)
        result: Deadline
        if workdays is not None:
            result = cal.add_workdays(start, workdays)
        else:
            moment = (
                start
                if isinstance(start, datetime)
                else datetime.combine(start, datetime.min.time(), SHANGHAI)
            )
            if working_hours is not None:
                result = cal.add_working_hours(moment, working_hours)
            else:
                result = cal.add_calendar_hours(moment, calendar_hours or 0.0)
    if as_json:
        payload: dict[str, Any] = result.to_dict()
        if workdays is None:
            payload["due_at"] = result.due_at.isoformat()
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    weekday = _WEEKDAYS_ZH[result.date.weekday()]
    line = f"{result.date.isoformat()} (星期{weekday})"
    if workdays is None:
        line += f",截止 {result.due_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 北京时间"
    click.echo(line)
    if result.provisional:
        click.echo("注意: 计算经过没有节假日安排的年份,结果为暂定。", err=True)


@click.group("sla")
def sla_group() -> None:
    """办理时限：扫描亮灯、重算期限。"""


@sla_group.command("sweep")
@json_flag()
@pass_env
def sweep_command(env: Env, as_json: bool) -> None:
    """Record turns to yellow/red, urge departments, escalate long-overdue cases (for cron)."""
    from bancheng.core.config import get_settings
    from bancheng.core.jobs import run_job
    from bancheng.deadlines.jobs import SWEEP
    from bancheng.deadlines.sweeper import SweepResult

    with _session(env.database, write=True) as session:
        result = SweepResult(
            **run_job(session, SWEEP, get_settings(), force=True, wait=True).result
        )
    if as_json:
        click.echo(json.dumps(result.as_dict()))
    elif not result.ran:
        click.echo("另一实例正在扫描，本次跳过。")
    else:
        click.echo(
            f"转黄 {result.turned_yellow} 件，转红 {result.turned_red} 件，"
            f"升级督办 {result.escalated} 件"
        )


@sla_group.command("recompute")
@flag("--provisional-only", "只重算暂定期限（案件、延期、催办督办、会议决定事项、差评整改）。")
@pass_env
def recompute_command(env: Env, provisional_only: bool) -> None:
    """Apply the current policies and calendar to every open case (or, with
    --provisional-only, to every provisional working-day deadline)."""
    from bancheng.deadlines.service import recompute_open, recompute_provisional

    with _session(env.database, write=True) as session:
        if provisional_only:
            out = recompute_provisional(session)
            click.echo(
                f"重算完成：案件 {out['cases']} 件、督办与会议决定 {out['supervision']} 项、"
                f"整改 {out['rectifications']} 项期限有变化"
            )
            return
        n = recompute_open(session, provisional_only=False)
    click.echo(f"重算完成，{n} 件期限有变化")
