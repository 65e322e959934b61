"""Decorators that set a function step's options, stacked on `@step` in any order:

```python
@retry(max_attempts=3, backoff=0.5, on=(TimeoutError,))
@on_failure(lambda error: {"score": 0.0})
@when("data.rows > 0")
@step(inputs=["data"], outputs=["score"])
def score(data): ...
```

- `when(condition)`: the step runs only when the condition holds; it may name the step's
  inputs directly (`data.rows`), the context, `debug`.
- `retry(max_attempts, backoff, max_backoff, on)`: attempts with exponential backoff and
  jitter, on the exceptions named in `on` (default: any Exception).
- `on_failure(fallback)`: when the last attempt fails, `fallback(error)` gives the step's
  outputs instead, and the step succeeds with a note saying so.
- `depends_on(*steps)`: run after these steps (names or step objects) although no value
  passes between them; their failure stops this step.

Each also works on a plain function, which then becomes a step with default options.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from yt_pipeline.conditions import Condition
from yt_pipeline.errors import ConfigError
from yt_pipeline.retry_policy import RetryPolicy
from yt_pipeline.uncaught import reported_in_one_line

__all__ = ["depends_on", "on_failure", "retry", "when"]


def _as_step(target: Any) -> Any:
    from yt_pipeline.steps import Step, step

    if isinstance(target, Step):
        return target
    if callable(target):
        return step(target)
    raise TypeError(f"a step option decorates a function or a step, not {type(target).__name__}")


@reported_in_one_line
def when(condition: str) -> Callable[[Any], Any]:
    @reported_in_one_line
    def apply(target: Any) -> Any:
        made = _as_step(target)
        return replace(made, when=Condition(condition, source=f"step {made.name}"))

    return apply


@reported_in_one_line
def retry(max_attempts: int = 3, backoff: float = 1.0, max_backoff: float = 60.0,
          on: type[BaseException] | Iterable[type[BaseException]] = (Exception,)
          ) -> Callable[[Any], Any]:
    kinds = (on,) if isinstance(on, type) else tuple(on)
    if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1:
        raise ConfigError(f"retry(max_attempts=...): a whole number >= 1, got {max_attempts!r}")
    if not kinds or not all(isinstance(k, type) and issubclass(k, BaseException)
                            for k in kinds):
        raise ConfigError(f"retry(on=...): exception classes, got {on!r}")
    for name, value in (("backoff", backoff), ("max_backoff", max_backoff)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"retry({name}=...): a number of seconds >= 0, got {value!r}")
    policy = RetryPolicy(max_attempts, float(backoff), float(max_backoff), kinds)

    @reported_in_one_line
    def apply(target: Any) -> Any:
        return replace(_as_step(target), retry=policy)

    return apply


@reported_in_one_line
def on_failure(fallback: Callable[[BaseException], Any]) -> Callable[[Any], Any]:
    if not callable(fallback):
        raise ConfigError(f"on_failure(...): a function taking the error, got {fallback!r}")

    @reported_in_one_line
    def apply(target: Any) -> Any:
        return replace(_as_step(target), fallback=fallback)

    return apply


@reported_in_one_line
def depends_on(*steps: Any) -> Callable[[Any], Any]:
    names = [getattr(s, "name", s) for s in steps]
    if not all(isinstance(n, str) and n for n in names):
        raise ConfigError(f"depends_on(...): step names or steps, got {steps!r}")

    @reported_in_one_line
    def apply(target: Any) -> Any:
        made = _as_step(target)
        return replace(made, after=[*made.after, *(n for n in names if n not in made.after)])

    return apply
