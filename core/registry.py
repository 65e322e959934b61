"""The stages a pipeline knows, by name."""

from __future__ import annotations

import inspect
from pathlib import Path

from yt_pipeline.discovery import DiscoveredStage
from yt_pipeline.errors import StageNotFound
from yt_pipeline.stage import BaseStage


class UnknownStage(StageNotFound, KeyError):
    """No stage of that name is registered. A KeyError too, as a lookup by name raises it in
    yt-framework's registry (`except KeyError` keeps working)."""

    def __str__(self) -> str:
        # KeyError would show the message quoted, as it shows a missing key
        return Exception.__str__(self)


class StageRegistry:
    """Stage classes by name. `add_stage` is chainable:

    `StageRegistry().add_stage(Load).add_stage(Report)`
    """

    def __init__(self) -> None:
        self._stages: dict[str, DiscoveredStage] = {}

    def add_stage(
        self, stage_class: type[BaseStage], name: str | None = None, *, origin: str | None = None
    ) -> StageRegistry:
        stage_dir = Path(inspect.getfile(stage_class)).resolve().parent
        name = name or getattr(stage_class, "stage_name", None) or stage_dir.name
        return self.add(
            DiscoveredStage(
                name=name,
                stage_class=stage_class,
                stage_dir=stage_dir,
                origin=origin or f"{stage_class.__module__}.{stage_class.__qualname__}",
            )
        )

    def add(self, stage: DiscoveredStage) -> StageRegistry:
        self._stages[stage.name] = stage
        return self

    def get_stage(self, name: str) -> type[BaseStage]:
        return self.get_entry(name).stage_class

    def get_entry(self, name: str) -> DiscoveredStage:
        try:
            return self._stages[name]
        except KeyError:
            known = ", ".join(sorted(self._stages)) or "none"
            raise UnknownStage(f"unknown stage {name} (known: {known})") from None

    def has_stage(self, name: str) -> bool:
        return name in self._stages

    def get_all_stages(self) -> dict[str, type[BaseStage]]:
        return {name: entry.stage_class for name, entry in self._stages.items()}

    def entries(self) -> list[DiscoveredStage]:
        return list(self._stages.values())

    def __contains__(self, name: object) -> bool:
        return name in self._stages

    def __len__(self) -> int:
        return len(self._stages)
