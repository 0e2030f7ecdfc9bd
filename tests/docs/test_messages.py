"""docs/troubleshooting.md quotes the real failure messages, and every one of them.

The messages are read from the code, not typed in again:
- in the notebooks, every `assert` message and every `raise`d message;
- in the package (the `jukebox` command and what the notebooks call), every message raised
  with an error class that says what to do (WorkshopError, MissingSettingsError,
  PlatformError, DatasetError, NoRunError, argparse's ArgumentTypeError, and their
  subclasses), every `print(..., file=sys.stderr)`, and every failed pre-flight check.
  The local registry server and the model server's runtime answer HTTP clients and are
  left out;
- in the Makefile, every message printed before `exit 1`.
Every one of them must be quoted on the page. The other way round, every quote in the
first column of the page's `message` tables must be one of them, or something a notebook
prints (not a failure, such as "already registered"), or a message of other software
listed in EXTERNAL.

A message is a template: the text, with holes where f-string fields or other expressions
go (module-level string constants are filled in). A quote on the page may shorten the
message, and writes `...` or `<something>` for the parts that change.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import re
from dataclasses import dataclass
from functools import cache

import nbformat
import pytest

from jukebox_workshop.errors import (
    DatasetError,
    MissingSettingsError,
    NoRunError,
    PlatformError,
    WorkshopError,
)
from jukebox_workshop.notebooks import workshop_notebooks
from jukebox_workshop.settings import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "troubleshooting.md"
PACKAGE = REPO_ROOT / "src" / "jukebox_workshop"
# The local registry server (`registry/`) and the model server's runtime (which runs in the
# model server's own environment) answer HTTP clients: left out.
NOT_COLLECTED = ("local/registry_server", "local/model_runtime.py")
USER_FACING = (
    WorkshopError,
    MissingSettingsError,
    PlatformError,
    DatasetError,
    NoRunError,
    argparse.ArgumentTypeError,
)
HOLE, ANY = object(), object()  # a part of a message that changes; `...` in a quote
# Raised to steer a library, not to tell the attendee anything: Optuna's "stop this trial".
CONTROL_FLOW = {"optuna.TrialPruned"}
MIN_WORDS = 3  # fewer literal words: a wrapper that prints a message collected elsewhere,
# or, in a quote, the name of an error or a code mentioned next to a message

# Quotes of messages that other software prints, and where they come from.
EXTERNAL = {
    "FileNotFoundError: ... 'data/song_properties.parquet'": "pandas, outside jukebox/",
    "ModuleNotFoundError: No module named 'jukebox_workshop'": "Python, package not installed",
    "user token must be provided for secure connection": "the model-registry client",
    "UserWarning: User access token is missing": "the model-registry client",
    'SchemaErrors: { "DATA": ... "schema": "song_properties.parquet", "column": '
    '"danceability", "check": "in_range(0, 1)" ...': "pandera, with notebook 2's schema",
}


@dataclass(frozen=True)
class Message:
    where: str  # file and line, or notebook and cell
    parts: tuple  # text and HOLE

    def text(self) -> str:
        return "".join("..." if part is HOLE else part for part in self.parts)


# Reading templates ---------------------------------------------------------------------


def template(node: ast.expr, constants: dict[str, object]) -> list:
    """The text of a string expression, with HOLE for what is only known at run time."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [part for value in node.values for part in template(value, constants)]
    if isinstance(node, ast.FormattedValue):
        filled = node.conversion == -1 and node.format_spec is None
        if filled and isinstance(node.value, ast.Name):
            if isinstance(constants.get(node.value.id), str):
                return [constants[node.value.id]]
        return [HOLE]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return template(node.left, constants) + template(node.right, constants)
    if isinstance(node, ast.Name) and isinstance(constants.get(node.id), str):
        return [constants[node.id]]
    return [HOLE]


def words(parts) -> int:
    return len(re.findall(r"[A-Za-z]{2,}", "".join(p for p in parts if p is not HOLE)))


def _is_stderr(call: ast.Call) -> bool:
    return any(
        keyword.arg == "file" and ast.unparse(keyword.value) == "sys.stderr"
        for keyword in call.keywords
    )


def _raised_class(call: ast.Call, namespace: dict[str, object]) -> bool:
    """Whether `call` builds an error of a user-facing class (or re-raises one's type)."""
    if isinstance(call.func, ast.Call) and ast.unparse(call.func.func) == "type":
        return True  # `raise type(error)(f"{error} ...")` keeps the class it caught
    name = ast.unparse(call.func)
    found = namespace.get(name.split(".")[0])
    for attribute in name.split(".")[1:]:
        found = getattr(found, attribute, None)
    return isinstance(found, type) and issubclass(found, USER_FACING)


def _package_argument(node: ast.AST, namespace: dict[str, object]) -> ast.expr | None:
    """The message `node` prints for a failure, if it is a raise, a print or a check."""
    if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
        return node.exc.args[0] if _raised_class(node.exc, namespace) else None
    if not isinstance(node, ast.Call) or not node.args:
        return None
    function = ast.unparse(node.func)
    if function == "print" and _is_stderr(node):
        return node.args[0]
    failed_check = len(node.args) == 3 and ast.unparse(node.args[1]) == "'FAIL'"
    return node.args[2] if function == "Check" and failed_check else None


def _called_name(node: ast.expr) -> str | None:
    """`f` for `f(...)`, `obj.f(...)` and `message := obj.f(...)`."""
    if isinstance(node, ast.NamedExpr):
        node = node.value
    if isinstance(node, ast.Call):
        function = node.func
        return function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)
    return None


def _returned_texts(function: ast.FunctionDef) -> list[tuple[int, ast.expr]]:
    """The string expressions a message-building function returns, directly or through a
    variable it assigns them to."""
    assigned: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                assigned.setdefault(target.id, []).append(node.value)
    texts = []
    for node in ast.walk(function):
        if isinstance(node, ast.Return) and node.value is not None:
            values = [node.value]
            if isinstance(node.value, ast.Name):
                values = assigned.get(node.value.id, [])
            texts.extend((node.lineno, value) for value in values)
    return texts


def _package_sources() -> list[tuple[str, ast.Module, dict[str, object]]]:
    sources = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if str(relative).startswith(NOT_COLLECTED) or path.name == "__main__.py":
            continue  # (importing a __main__ would run it)
        name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        namespace = vars(importlib.import_module(f"jukebox_workshop.{name}"))
        sources.append((f"src/jukebox_workshop/{relative}", ast.parse(path.read_text()), namespace))
    return sources


def package_messages() -> list[Message]:
    """Raised and printed messages, and those built by a function whose result is raised
    (`raise WorkshopError(tls_problem(...))`, `if message := service.conflict(...)`)."""
    found, builders = [], set()
    sources = _package_sources()
    for where, tree, namespace in sources:
        for node in ast.walk(tree):
            argument = _package_argument(node, namespace)
            if argument is not None:
                found.append(
                    Message(f"{where}:{node.lineno}", tuple(template(argument, namespace)))
                )
            if isinstance(node, ast.Raise):
                builders.add(_called_name(_raised(node)))
            if isinstance(node, ast.If | ast.IfExp):  # `if message := service.conflict(...)`
                builders.update(
                    _called_name(named)
                    for named in ast.walk(node.test)
                    if isinstance(named, ast.NamedExpr)
                )
    for where, tree, namespace in sources:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in builders:
                for line, text in _returned_texts(node):
                    found.append(Message(f"{where}:{line}", tuple(template(text, namespace))))
    return found


def _raised(node: ast.AST) -> ast.expr | None:
    """The first argument of `raise SomeError(argument)`."""
    if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
        return node.exc.args[0]
    return None


def notebook_messages() -> list[Message]:
    found = []
    for path in workshop_notebooks():
        for number, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type != "code":
                continue
            code = "\n".join(
                line
                for line in cell.source.splitlines()
                if not line.lstrip().startswith(("%", "!"))
            )
            for node in ast.walk(ast.parse(code)):
                argument = None
                if isinstance(node, ast.Assert) and node.msg is not None:
                    argument = node.msg
                elif (
                    isinstance(node, ast.Raise)
                    and isinstance(node.exc, ast.Call)
                    and node.exc.args
                    and ast.unparse(node.exc.func) not in CONTROL_FLOW
                ):
                    argument = node.exc.args[0]
                if argument is not None:
                    found.append(
                        Message(f"{path.name}, cell {number}", tuple(template(argument, {})))
                    )
    return found


def makefile_messages() -> list[Message]:
    text = (REPO_ROOT / "Makefile").read_text()
    found = []
    for match in re.finditer(r'echo "([^"]*)"; exit 1', text):
        pieces = re.split(r"(\$\$\(.*?\)\))", match.group(1))  # $$(...) is filled in by the shell
        parts = tuple(HOLE if piece.startswith("$$(") else piece for piece in pieces)
        found.append(Message(f"Makefile:{text.count(chr(10), 0, match.start()) + 1}", parts))
    return found


def notebook_prints() -> list[Message]:
    """What the notebooks print: quotable, but not failures that need a row."""
    found = []
    for path in workshop_notebooks():
        cells = nbformat.read(path, as_version=4).cells
        code = "\n".join(cell.source for cell in cells if cell.cell_type == "code")
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "print" and node.args:
                found.append(Message(path.name, tuple(template(node.args[0], {}))))
    return found


def _strings_of(name: str, scope: ast.AST) -> list[ast.expr]:
    """The strings assigned to `name` in `scope`, both branches of `a if c else b` included."""
    found = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == [name]:
            values = (
                [node.value.body, node.value.orelse]
                if isinstance(node.value, ast.IfExp)
                else [node.value]
            )
            found.extend(values)
    return found


def server_answers() -> list[Message]:
    """What the local servers answer over HTTP (the registry, the model server's runtime):
    quotable, though not collected as failures. A message grown with `+=` is read whole."""
    found = []
    for path in [
        *sorted((PACKAGE / "local" / "registry_server").rglob("*.py")),
        PACKAGE / "local" / "model_runtime.py",
    ]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) or (
                isinstance(node, ast.Constant) and isinstance(node.value, str)
            ):
                found.append(Message(path.name, tuple(template(node, {}))))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for grown in ast.walk(node):
                    if isinstance(grown, ast.AugAssign) and isinstance(grown.op, ast.Add):
                        for start in _strings_of(ast.unparse(grown.target), node):
                            parts = template(start, {}) + template(grown.value, {})
                            found.append(Message(path.name, tuple(parts)))
    return found


@cache
def messages() -> tuple[Message, ...]:
    every = [*notebook_messages(), *package_messages(), *makefile_messages()]
    return tuple(message for message in every if words(message.parts) >= MIN_WORDS)


# Reading the page ----------------------------------------------------------------------


def quotes() -> list[str]:
    """The quotes in the first column of the page's tables headed `message`."""
    found, in_message_table = [], False
    for line in PAGE.read_text().splitlines():
        if not line.startswith("|"):
            in_message_table = False
            continue
        first = line.split("|")[1].strip()
        if first in ("message", "what you see"):
            in_message_table = first == "message"
            continue
        if in_message_table and not set(first) <= set("-: "):
            found.extend(q for q in re.findall(r"`([^`]+)`", first) if words([q]) >= MIN_WORDS)
    return found


# Matching ------------------------------------------------------------------------------

TOKEN = re.compile(r"\.\.\.|<[^<>\s][^<>]*>|\w+|[^\w\s]")
ERROR_PREFIX = re.compile(r"^[A-Z]\w*(?:Error|Errors|Exception|Warning): ")


def quote_tokens(quote: str) -> tuple:
    quote = ERROR_PREFIX.sub("", quote.replace("`", ""))
    return tuple(ANY if t == "..." or t.startswith("<") else t for t in TOKEN.findall(quote))


def message_tokens(message: Message) -> tuple:
    tokens = []
    for part in message.parts:
        tokens.extend([HOLE] if part is HOLE else TOKEN.findall(part.replace("`", "")))
    return tuple(tokens)


def literal_words(tokens: tuple) -> int:
    return sum(1 for token in tokens if isinstance(token, str) and token[0].isalnum())


def matches(quote: tuple, message: tuple) -> bool:
    """Whether the quote is a piece of the message: `...` in the quote stands for any text,
    a hole in the message for any text of the quote. Enough words must be the message's
    own: a quarter of the quote's, and three (or all of a shorter message's)."""
    needed = max(min(3, literal_words(message)), literal_words(quote) / 4)

    @cache
    def best(i: int, j: int) -> float:
        """Most words matched by aligning quote[i:] with message[j:]; -inf if they differ."""
        if i == len(quote):
            return 0
        if j == len(message):
            return 0 if all(token is ANY for token in quote[i:]) else float("-inf")
        if quote[i] is ANY:
            return max(best(i + 1, j), best(i, j + 1))
        if message[j] is HOLE:
            return max(best(i, j + 1), best(i + 1, j))
        if quote[i] != message[j]:
            return float("-inf")
        return best(i + 1, j + 1) + quote[i][0].isalnum()

    return any(best(0, j) >= needed for j in range(len(message)))


def documented(message: Message) -> list[str]:
    tokens = message_tokens(message)
    return [quote for quote in quotes() if matches(quote_tokens(quote), tokens)]


# Tests ---------------------------------------------------------------------------------


def test_messages_are_found_in_every_place_that_prints_them():
    places = {m.where.split(",")[0].split(":")[0] for m in messages()}
    for path in workshop_notebooks():
        assert path.name in places, f"no checkpoint message found in {path.name}"
    for module in (
        "cli.py",
        "explain.py",
        "local/lifecycle.py",
        "preflight.py",
        "runs.py",
        "settings.py",
    ):
        assert f"src/jukebox_workshop/{module}" in places
    assert "src/jukebox_workshop/dataset/build/kaggle_csv.py" in places


@pytest.mark.parametrize("message", messages(), ids=lambda m: m.where)
def test_every_message_is_on_the_troubleshooting_page(message):
    assert documented(message), (
        f"{message.where} prints a message that {PAGE.name} does not quote: add a row for "
        f"{message.text()!r}"
    )


def test_every_quoted_message_is_real():
    tokens = [
        message_tokens(message) for message in [*messages(), *notebook_prints(), *server_answers()]
    ]
    invented = [
        quote
        for quote in quotes()
        if quote not in EXTERNAL and not any(matches(quote_tokens(quote), t) for t in tokens)
    ]
    assert not invented, f"{PAGE.name} quotes messages nothing prints: {invented}"


@pytest.mark.parametrize(
    ("quote", "message", "expected"),
    [
        (
            "The bucket '...' does not exist at ...",
            ["The bucket '", HOLE, "' does not exist at ", HOLE, ". Check AWS_S3_BUCKET"],
            True,
        ),
        (
            "The bucket '...' does not exist at ...",
            ["The bucket '", HOLE, "' does not exist."],
            False,
        ),
        (
            "refused the credentials (InvalidAccessKeyId)",
            ["refused the credentials (", HOLE, ")"],
            True,
        ),
        (
            "No S3 credentials: set AWS_ACCESS_KEY_ID ...",
            ["No S3 credentials: set AWS_ACCESS_KEY_ID and more"],
            True,
        ),
        (
            "FileNotFoundError: ... output/runs/LATEST",
            ["No trained model in ", HOLE, "/: run notebook 3"],
            False,
        ),
        (
            "JUKEBOX_..._PORT='...' is not a port number.",
            [HOLE, "=", HOLE, " is not a port number."],
            True,
        ),
        (
            "the model is no better than guessing",
            ["the model is not clearly better than guessing"],
            False,
        ),
    ],
)
def test_the_matching(quote, message, expected):
    assert matches(quote_tokens(quote), message_tokens(Message("test", tuple(message)))) == expected
