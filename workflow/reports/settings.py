"""The [report] section of the configuration: wording, contact line, the completion rate (which
categories count as done, its precision), the categories' wording ([categories]), yellow threshold."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from states.categories import DEFAULT_RATE, LABELS, Category, Rate
from states.colours import DEFAULT_SCHEME, YELLOW_DAYS, Scheme
from workflow import config as config_module
from workflow.errors import InvalidInput

DEFAULT_WORK = (
    "{short}按照巡察整改工作要求，坚持立行立改、限时整改，照单全收、逐项落实。通过明确整改任务、整改措施、"
    "责任领导、责任单位和完成时限，建立整改台账，实行销号管理，确保整改工作有序推进、取得实效。",
)
DEFAULT_NEXT_STEPS = (
    "一是巩固整改成果，开展举一反三工作。对已完成的整改任务全面开展“回头看”，重点检查整改措施是否落实到位、"
    "整改成效是否持续巩固，防止问题反弹回潮。",
    "二是强化制度建设，推动长效管理。针对巡察反馈的问题，进一步完善制度建设，通过制度固化整改成果。",
    "三是加强督导问责，确保整改实效。对正在推进的整改事项持续跟踪督办，对整改不彻底、落实不到位的部门和责任人，"
    "严肃追责问责。",
)


@dataclass(frozen=True)
class Settings:
    """[report] settings; every key is optional (defaults as below)."""

    rate: Rate = DEFAULT_RATE  # [report] rate_counts and rate_precision (see workflow.config.rate)
    contact_phone: str = ""
    contact_email: str = ""
    signing_unit: str = ""  # default: the round's inspected unit
    short_name: str = ""  # how the report names the unit (太山镇党委); default: the inspected unit
    title: str = ""  # default: "{short}关于{round}整改情况的通报"
    intro: str = ""  # opening paragraph; default: generated from the round
    work_summary: tuple[str, ...] = DEFAULT_WORK  # 一、整改工作情况, before the statistics
    next_steps: tuple[str, ...] = DEFAULT_NEXT_STEPS  # 三、下一步整改工作安排
    yellow_days: int = YELLOW_DAYS  # [lights] yellow_days (see workflow.config.yellow_days)
    lights: Scheme = field(
        default_factory=lambda: DEFAULT_SCHEME
    )  # [lights.colours] (see workflow.config.light_scheme)
    labels: dict[Category, str] = field(default_factory=lambda: dict(LABELS))  # [categories]

    @property
    def rate_precision(self) -> int:
        return self.rate.precision


def load(config: dict[str, Any]) -> Settings:
    """Validate the [report] section: unknown keys and wrong types are errors that name the key."""
    raw = config_module.section(config, "report")
    # The rate and the lights are read where they are defined (workflow.config), below.
    known = {f.name: f for f in fields(Settings) if f.name not in ("rate", "labels", "lights")}
    shared = ("rate_precision", "rate_counts")
    unknown = sorted(set(raw) - set(known) - set(shared))
    if unknown:
        raise InvalidInput(
            f"配置 [report] 中有未知的键：{'、'.join(unknown)}（可用：{'、'.join([*known, *shared])}）"
        )
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in shared:
            continue
        default = getattr(Settings, key) if key not in ("work_summary", "next_steps") else ()
        if isinstance(default, int):
            limits = (0, 365)
            if not isinstance(value, int) or isinstance(value, bool) or not limits[0] <= value <= limits[1]:
                raise InvalidInput(f"配置 [report] {key} 应为 {limits[0]} 到 {limits[1]} 之间的整数")
        elif isinstance(default, str):
            if not isinstance(value, str):
                raise InvalidInput(f"配置 [report] {key} 应为字符串")
        else:
            value = [value] if isinstance(value, str) else value
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InvalidInput(f"配置 [report] {key} 应为字符串或字符串列表（每段一项）")
            value = tuple(value)
        values[key] = value
    # The two settings every output shares are read where they are defined, once.
    values.update(
        yellow_days=config_module.yellow_days(config),
        rate=config_module.rate(config),
        labels=config_module.category_labels(config),
        lights=config_module.light_scheme(config),
    )
    return Settings(**values)
