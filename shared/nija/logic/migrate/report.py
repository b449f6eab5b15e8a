"""The report of a plan or an apply: JSON for machines (nija.domain.migration.Report) and a summary
for people. Neither ever holds a secret: keys are masked, secrets are absent."""

from __future__ import annotations

from typing import Literal

from nija.domain.migration import (
    MEANING,
    Code,
    Item,
    Report,
    Step,
    Summary,
    Target,
    UserRow,
    count_codes,
)
from nija.logic.migrate.plan import Plan


def build_report(plan: Plan, rows: list[UserRow], mode: Literal["plan", "apply"], target: Target) -> Report:
    not_imported = list(plan.not_imported)
    for row in rows:
        first = row.legacy_user_ids[0] if len(row.legacy_user_ids) == 1 else ",".join(row.legacy_user_ids)
        if row.state == "account_exists":
            detail = f"{row.email} has a platform account that has been used: not touched"
            not_imported.append(
                Item(code=Code.ACCOUNT_EXISTS, source=row.email_source, legacy_user_id=first, detail=detail)
            )
        for b in row.brokers:
            if b.code is not None and b.step in (Step.PENDING, Step.REFUSED):
                item = Item(
                    code=b.code,
                    source=b.credential_source,
                    legacy_user_id=first,
                    broker=b.broker.value,
                    detail=b.detail or "",
                )
                not_imported.append(item)
    steps = [s for r in rows for s in r.steps.values()] + [b.step for r in rows for b in r.brokers]
    summary = Summary(
        legacy_users=plan.legacy_users,
        users=len(rows),
        brokers=sum(len(r.brokers) for r in rows),
        to_do=sum(r.open_steps() for r in rows),
        made=steps.count(Step.MADE),
        pending=steps.count(Step.PENDING),
        refused=steps.count(Step.REFUSED),
        not_imported=count_codes(not_imported),
        warnings=count_codes(plan.warnings),
    )
    return Report(
        mode=mode,
        legacy_dir=plan.legacy_dir,
        target=target,
        summary=summary,
        users=rows,
        not_imported=sorted(
            not_imported, key=lambda i: (i.source, i.legacy_user_id or "", i.broker or "", i.code.value)
        ),
        warnings=plan.warnings,
        globals=plan.globals,
        files=plan.files,
    )


def _item(item: Item) -> str:
    who = " ".join(x for x in (item.legacy_user_id, item.broker) if x)
    return f"  {item.code.value:<24} {item.source}{f' ({who})' if who else ''}{f': {item.detail}' if item.detail else ''}"


def render(report: Report) -> str:
    """The summary for people: what happens to whom, what does not arrive and why."""
    s, t = report.summary, report.target
    where = f"stage {t.stage}" if t.stage else "no stage (legacy files only)"
    lines = [
        f"nija migrate {report.mode}: {report.legacy_dir} -> {where}",
        f"  {s.legacy_users} legacy user(s) -> {s.users} platform user(s), {s.brokers} broker connection(s)",
    ]
    if t.invitations:
        lines.append(f"  invitations: {t.invitations}")
    if report.mode == "apply":
        lines.append(f"  made {s.made} step(s); {s.pending} pending (run apply again), {s.refused} refused")
    lines.append("  nothing left to do" if s.to_do == 0 else f"  {s.to_do} step(s) left to do")
    lines.append("")
    for row in report.users:
        lines += _user(row)
    if report.not_imported:
        lines.append(f"Not imported ({len(report.not_imported)}):")
        lines += [_item(i) for i in report.not_imported]
        lines.append("")
    if report.warnings:
        lines.append(f"Warnings ({len(report.warnings)}):")
        lines += [_item(i) for i in report.warnings]
        lines.append("")
    if report.globals:
        lines.append("Global settings noticed (never applied):")
        lines += [
            f"  {g.name}{f'={g.value}' if g.value is not None else ''}: {g.note}" for g in report.globals
        ]
        lines.append("")
    codes = sorted({i.code for i in report.not_imported} | {i.code for i in report.warnings})
    if codes:
        lines.append("Codes:")
        lines += [f"  {c.value:<24} {MEANING[c]}" for c in codes]
    return "\n".join(lines).rstrip() + "\n"


def _user(row: UserRow) -> list[str]:
    ids = ", ".join(row.legacy_user_ids)
    head = f"{row.email} <- {ids}: {row.state}, tier {row.tier.value}, {row.status.value}"
    if row.user_id:
        head += f" (user {row.user_id})"
    lines = [head]
    if row.error:
        lines.append(f"  ERROR {row.error}")
    open_steps = ", ".join(f"{k} {v.value}" for k, v in row.steps.items() if v not in (Step.NONE,))
    lines.append(f"  steps: {open_steps}")
    for b in row.brokers:
        paper = "" if b.paper is None else (" paper" if b.paper else " live")
        why = f" [{b.code.value}: {b.detail}]" if b.code else (f" [{b.detail}]" if b.detail else "")
        lines.append(
            f"  {b.broker.value:<9} {b.masked_key}{paper} from {b.credential_source}: {b.step.value}{why}"
        )
    shown = ", ".join(f"{k}={v}" for k, v in row.settings.items())
    lines.append(f"  settings: {shown}")
    for n in row.not_mapped:
        value = f" = {n.value}" if n.value is not None else ""
        lines.append(f"  not mapped: {n.field}{value} ({n.source}): {n.note}")
    lines.append("")
    return lines
