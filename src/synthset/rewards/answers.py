"""Answers in the forms models write them, and completions scored against examples.

A model trained with RL rarely writes the bare answer: it reasons first, then wraps the answer
in tags, a ``\\boxed{}`` or an "Answer:" line. ``extract_answer`` reads the answer out of
these forms; ``score_completions`` judges what it read with the task's verifier
(``Task.score_answer``). Every RL adapter of this package calls ``score_completions``, so the
forms and the rules are the same whichever trainer runs.

The rules, in order (each applies to what the one before left):

1. ``<think>...</think>`` reasoning is dropped: the answer is after the last ``</think>`` (a
   chat template may open the ``<think>`` in the prompt). A ``<think>`` that never closes
   leaves no answer (None): the model ran out of tokens before answering.
2. ``<answer>...</answer>``: the last one. An ``<answer>`` not closed runs to the end (a
   sampler told to stop at ``</answer>`` drops the stop string).
3. ``\\boxed{...}``: the last one, up to its matching brace.
4. An "Answer:", "Final answer:" or "The (final) answer is" line (any "answer:" or "answer
   is" not at the end of a longer word): the last one, the rest of its line (the next line
   when it is empty); a final full stop is dropped.
5. Otherwise the whole text.

The answer is stripped at its ends and unwrapped from ``$...$``, ``\\(...\\)``,
``\\text{...}`` and ``**...**``. Tags are found in any case by substring search (C speed) on
a lowered copy; regular expressions run only on the part that holds a box or the word
"answer". Text with no ``<``, ``\\``, ``$`` and no "answer" is returned stripped at once (the
fast path of a model that writes the bare answer). Case is the task's to declare
(``Task.answer_case_sensitive``; Capo's names and values ignore it).

``score_completion`` and ``score_completions`` give the stored answer, in any form, 1.0
without the verifier, and arm the time limit (``engine.timeout``) only around a verifier.

Imports only the standard library, ``core`` and ``engine.timeout``.
"""

from __future__ import annotations

import re
import threading
import time

from synthset.core.errors import ConfigError

_BOXED = re.compile(r"\\boxed\s*\{")
_BRACE = re.compile(r"[{}]")
# "Answer: x", "**Final Answer:** x", "The final answer is: x", "My answer is x": matched in
# lowered text at an occurrence of "answer", the marker up to where the answer starts.
_COLON = re.compile(r"answer(?:\*\*)?[ \t]*:(?:\*\*)?[ \t]*")
_IS = re.compile(r"answer\s+is\b[ \t]*:?(?:\*\*)?[ \t]*")
_WRAPPED = re.compile(r"\$+(?P<a>[^$]*)\$+|\\\((?P<b>.*?)\\\)|\\\[(?P<c>.*?)\\\]"
                      r"|\\text\{(?P<d>[^{}]*)\}|\*\*(?P<e>.*?)\*\*", re.DOTALL)
# ASCII letters lowered, every other character kept: positions in the lowered text are
# positions in the text (``str.lower`` may lengthen a non-ASCII text).
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def extract_answer(task, text: str) -> str | None:
    """The answer written in ``text`` (see the module docstring), ends stripped, or None when
    the text holds none (not a string, or reasoning that never ends). ``task`` is the task the
    answer is for (None: any); the rules are the same for every task today."""
    if not isinstance(text, str):
        return None
    # Plain substring searches (C speed) on a lowered copy find the tags in any case.
    low = text.lower()
    if len(low) != len(text):
        low = text.translate(_ASCII_LOWER)
    if "<" not in text and "\\" not in text and "$" not in text and "answer" not in low:
        return text.strip()  # a bare answer: nothing to read past
    start, stop = 0, len(text)
    close = low.rfind("</think>")
    if close >= 0:
        start = close + len("</think>")
    elif "<think>" in low:
        return None  # the reasoning never ended: no answer was written
    tag = low.rfind("<answer>", start)
    if tag >= 0:
        start = tag + len("<answer>")
        end = low.find("</answer>", start)
        stop = end if end >= 0 else stop
    return _unwrap(_inner(text[start:stop], low[start:stop]).strip())


def _inner(text: str, low: str) -> str:
    """Rules 3 to 5 on a text with its reasoning and tags read past (``low``: lowered)."""
    if "\\boxed" in text:
        boxed = _last_boxed(text)
        if boxed is not None:
            return boxed
    end = _answer_line(low)
    if end is None:
        return text
    rest = text[end:].split("\n", 1)[0].strip()
    if not rest:  # "Answer:" alone on its line: the answer is on the next one
        following = text[end:].strip()
        rest = following.split("\n", 1)[0].strip() if following else ""
    return rest[:-1] if rest.endswith(".") and not rest.endswith("..") else rest


def _answer_line(low: str) -> int | None:
    """Where the answer of the last "answer:" / "answer is" starts in ``low``
    (a lowered text), or None. Each occurrence of the word is tried from the last one back,
    with patterns anchored there (a scan of the whole text by a case-blind regex is slow)."""
    k = len(low)
    while True:
        k = low.rfind("answer", 0, k)
        if k < 0:
            return None
        if k and (low[k - 1].isalnum() or low[k - 1] == "_"):
            continue  # inside a word ("myanswer")
        marker = _COLON.match(low, k) or _IS.match(low, k)
        if marker is not None:
            return marker.end()


def _last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` up to its matching brace, or None (no box,
    or the last one never closes: a cut-off answer is none)."""
    k = len(text)
    while True:
        k = text.rfind("\\boxed", 0, k)
        if k < 0:
            return None
        start = _BOXED.match(text, k)
        if start is not None:
            break
    depth = 1
    for brace in _BRACE.finditer(text, start.end()):
        depth += 1 if brace.group() == "{" else -1
        if depth == 0:
            return text[start.end():brace.start()].strip()
    return None


def _unwrap(answer: str) -> str:
    """``$x$``, ``\\(x\\)``, ``\\[x\\]``, ``\\text{x}``, ``**x**`` around the whole answer: x."""
    for _ in range(3):
        if not answer or answer[0] not in "$\\*":
            return answer
        match = _WRAPPED.fullmatch(answer)
        if match is None:
            return answer
        answer = next(g for g in match.groups() if g is not None).strip()
    return answer


def completion_text(completion) -> str:
    """The text of a completion: a string, or the content of a conversation's last message
    (lists nested at most a few levels; a list that holds itself is no text)."""
    for _ in range(8):
        if isinstance(completion, str):
            return completion
        if isinstance(completion, dict):
            content = completion.get("content", "")
            return content if isinstance(content, str) else ""
        if not isinstance(completion, (list, tuple)) or not completion:
            return ""
        completion = completion[-1]
    return ""


def _same_text(task, text: str, answer) -> bool:
    """``text`` is the stored answer as the task reads it (``Task.same_answer``: ends
    stripped, and case aside where the task ignores it)."""
    if type(answer) is not str:
        return False
    return task.same_answer(text, answer) and text.strip() != ""


def score_without_verifier(task, completion, example) -> tuple[float | None, str | None]:
    """``(score, None)`` when the score needs no verifier: no example (None or not a dict),
    no answer (0.0), or the stored answer in any form (1.0); else ``(None, answer read)``."""
    if not isinstance(example, dict):  # None, or a value that is no example of ours
        return 0.0, None
    text = completion_text(completion)
    answer = example.get("answer")
    if text == answer and text.strip():  # the commonest right answer, before any reading
        return 1.0, None
    found = extract_answer(task, text)
    if not found:
        return 0.0, None
    if _same_text(task, found, answer):
        return 1.0, None
    return None, found


def score_completion(task, completion, example: dict | None, limit=None) -> float:
    """How right one completion (a string or a conversation) is as the answer to ``example``:
    a float in [0, 1]; 0.0 when there is no example (None or not a dict) or no answer.
    Never raises, except ``SampleTimeout`` out of ``limit`` (a ``TimeLimit``-like context
    manager, entered around the verifier only: the stored answer never costs it)."""
    score, found = score_without_verifier(task, completion, example)
    if score is not None:
        return score
    if limit is None:
        return task.score_answer(found, example)
    with limit:
        return task.score_answer(found, example)


def score_found(task, found: str, example: dict, timeout: float | None = 5.0) -> float:
    """The verifier on an answer already read (``score_without_verifier``'s second value),
    as ``score_completions`` runs it: 0.0 past ``timeout`` seconds (None: no limit)."""
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds or None, "
                          f"got {timeout!r}")
    if timeout is None:
        return task.score_answer(found, example)
    from synthset.engine.timeout import SampleTimeout

    limit = _Limit(timeout)
    try:
        with limit:
            return task.score_answer(found, example)
    except SampleTimeout:
        return 0.0
    finally:
        limit.uninstall()


def score_completions(task, completions, examples, timeout: float | None = 5.0) -> list[float]:
    """One float in [0, 1] per completion, ``completions[i]`` judged against ``examples[i]``
    (an example dict, ``task.example_of(record)``, or None: 0.0). A verifier call running past
    ``timeout`` seconds scores 0.0 (None: no limit)."""
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds or None, "
                          f"got {timeout!r}")
    if len(examples) != len(completions):
        raise ConfigError(f"{len(completions)} completions but {len(examples)} examples")
    if timeout is None:
        return [score_completion(task, c, e) for c, e in zip(completions, examples)]
    from synthset.engine.timeout import SampleTimeout

    limit = _Limit(timeout)
    try:
        scores = []
        for c, e in zip(completions, examples):
            try:
                scores.append(score_completion(task, c, e, limit))
            except SampleTimeout:
                scores.append(0.0)
        return scores
    finally:
        limit.uninstall()


class _Limit:
    """A time limit installed when a verifier first needs it: a call whose completions are
    all the stored answer never touches the signal handlers. In the main thread it is
    ``engine.timeout.TimeLimit`` (SIGALRM); in another thread (verl's and OpenRLHF's workers,
    the verifiers taskset's checks) one watchdog thread a process serves every call, instead
    of a timer thread started per call."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.limit = None
        self.main = threading.current_thread() is threading.main_thread()

    def __enter__(self):
        if not self.main:
            _watchdog().arm(self.seconds)
            return self
        if self.limit is None:
            from synthset.engine.timeout import TimeLimit

            self.limit = TimeLimit(self.seconds)
            self.limit.install()  # once a call; armed around each completion's check
        return self.limit.__enter__()

    def __exit__(self, *exc):
        if not self.main:
            _watchdog().disarm()
            return False
        return self.limit.__exit__(*exc)

    def uninstall(self) -> None:
        if self.limit is not None:
            self.limit.uninstall()


class _Watchdog:
    """One daemon thread that raises ``SampleTimeout`` in a thread whose armed call runs past
    its deadline (as ``TimeLimit`` does off the main thread: it interrupts Python code, not a
    long call inside C). Arming is a dict write under a lock; the thread sleeps until the
    earliest deadline, at most the shortest limit it has been given, so a call armed later
    never needs to wake it (its deadline is later still) unless its limit is shorter."""

    def __init__(self):
        self.cond = threading.Condition()
        self.deadlines: dict = {}  # thread id -> monotonic deadline
        self.shortest = float("inf")
        threading.Thread(target=self._run, name="synthset-reward-timeout",
                         daemon=True).start()

    def arm(self, seconds: float) -> None:
        with self.cond:
            self.deadlines[threading.get_ident()] = time.monotonic() + seconds
            if seconds < self.shortest:
                self.shortest = seconds
                self.cond.notify()

    def disarm(self) -> None:
        with self.cond:
            self.deadlines.pop(threading.get_ident(), None)

    def _run(self) -> None:
        import ctypes

        from synthset.engine.timeout import SampleTimeout

        with self.cond:
            while True:
                now = time.monotonic()
                for tid, deadline in list(self.deadlines.items()):
                    if deadline <= now:
                        del self.deadlines[tid]
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(
                            ctypes.c_ulong(tid), ctypes.py_object(SampleTimeout))
                wait = min(self.deadlines.values(), default=now + self.shortest) - now
                self.cond.wait(min(max(wait, 0.0), 3600.0))


_WATCHDOG: list = []
_WATCHDOG_LOCK = threading.Lock()


def _watchdog() -> _Watchdog:
    if not _WATCHDOG:
        with _WATCHDOG_LOCK:
            if not _WATCHDOG:
                _WATCHDOG.append(_Watchdog())
    return _WATCHDOG[0]
