"""The command-line grammar of the sandbox shell: a small, honest subset of POSIX sh.

Supported: words with single quotes, double quotes and backslash escapes; ``$NAME``,
``${NAME}``, ``$?`` and ``$$`` expansion (inside double quotes too, never inside single
quotes); comments; and command lists joined by ``;``, ``&&`` and ``||``. Pipes,
redirections and background jobs are rejected with a syntax error rather than being
half-supported. Expansion is deferred to run time, so ``A=1; echo $A`` sees the new value.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

__all__ = ["Command", "ShellSyntaxError", "Step", "Word", "parse"]

_NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_NAME_CHARS = _NAME_START + "0123456789"
_UNSUPPORTED = {
    "|": "pipes", ">": "redirections", "<": "redirections", "&": "background jobs", "`": "backquotes",
}


class ShellSyntaxError(Exception):
    """The line cannot be parsed; the message is what the shell prints."""


class Part(msgspec.Struct, frozen=True):
    text: str
    variable: bool = False
    """``text`` names a variable to expand rather than literal text."""


class Word(msgspec.Struct, frozen=True):
    parts: tuple[Part, ...]

    def expand(self, lookup: Callable[[str], str]) -> str:
        return "".join(lookup(p.text) if p.variable else p.text for p in self.parts)

    @property
    def assignment(self) -> tuple[str, Word] | None:
        """``(name, value)`` when the word is an unquoted ``NAME=value`` assignment."""
        if not self.parts or self.parts[0].variable:
            return None
        head, sep, rest = self.parts[0].text.partition("=")
        if not sep or not head or head[0] not in _NAME_START or any(c not in _NAME_CHARS for c in head):
            return None
        return head, Word((Part(rest), *self.parts[1:]))


class Command(msgspec.Struct, frozen=True):
    words: tuple[Word, ...]


class Step(msgspec.Struct, frozen=True):
    """A command and how it is joined to the previous one: ``;``, ``&&`` or ``||``."""

    joiner: str
    command: Command


class _Lexer:
    def __init__(self, line: str) -> None:
        self.line = line
        self.pos = 0
        self.steps: list[Step] = []
        self.words: list[Word] = []
        self.parts: list[Part] = []
        self.literal: list[str] = []
        self.in_word = False
        self.joiner = ";"

    def run(self) -> list[Step]:
        line = self.line
        while self.pos < len(line):
            c = line[self.pos]
            if c in " \t\r\n":
                self._end_word()
                self.pos += 1
            elif c == "#" and not self.in_word:
                break
            elif c == ";":
                self._end_command(";", 1)
            elif line.startswith("&&", self.pos):
                self._end_command("&&", 2)
            elif line.startswith("||", self.pos):
                self._end_command("||", 2)
            elif c in _UNSUPPORTED:
                raise ShellSyntaxError(f"{_UNSUPPORTED[c]} are not supported by this shell")
            elif c == "'":
                end = line.find("'", self.pos + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated quoted string")
                self._literal(line[self.pos + 1 : end])
                self.pos = end + 1
            elif c == '"':
                self._double_quoted()
            elif c == "\\":
                self._literal(line[self.pos + 1 : self.pos + 2])
                self.pos += 2
            elif c == "$":
                self._dollar()
            else:
                self._literal(c)
                self.pos += 1
        self._end_word()
        if self.words:
            self.steps.append(Step(self.joiner, Command(tuple(self.words))))
        elif self.joiner != ";":
            raise ShellSyntaxError(f"syntax error: unexpected end of line after {self.joiner!r}")
        return self.steps

    def _literal(self, text: str) -> None:
        self.in_word = True
        self.literal.append(text)

    def _flush_literal(self) -> None:
        if self.literal:
            self.parts.append(Part("".join(self.literal)))
            self.literal = []

    def _end_word(self) -> None:
        if self.in_word:
            self._flush_literal()
            self.words.append(Word(tuple(self.parts) or (Part(""),)))
        self.parts, self.in_word = [], False

    def _end_command(self, joiner: str, width: int) -> None:
        self._end_word()
        if not self.words:
            raise ShellSyntaxError(f"syntax error near unexpected token {joiner!r}")
        self.steps.append(Step(self.joiner, Command(tuple(self.words))))
        self.words, self.joiner = [], joiner
        self.pos += width

    def _double_quoted(self) -> None:
        line = self.line
        self.pos += 1
        self.in_word = True
        while True:
            if self.pos >= len(line):
                raise ShellSyntaxError("unterminated quoted string")
            c = line[self.pos]
            if c == '"':
                self.pos += 1
                return
            if c == "\\" and line[self.pos + 1 : self.pos + 2] in ('"', "\\", "$", "`"):
                self._literal(line[self.pos + 1])
                self.pos += 2
            elif c == "$":
                self._dollar()
            else:
                self._literal(c)
                self.pos += 1

    def _dollar(self) -> None:
        line, start = self.line, self.pos + 1
        name = ""
        if line[start : start + 1] in ("?", "$"):
            name, self.pos = line[start], start + 1
        elif line[start : start + 1] == "{":
            end = line.find("}", start)
            if end < 0:
                raise ShellSyntaxError("bad substitution")
            name, self.pos = line[start + 1 : end], end + 1
        else:
            end = start
            while end < len(line) and line[end] in (_NAME_CHARS if end > start else _NAME_START):
                end += 1
            name, self.pos = line[start:end], end
        if not name:
            self._literal("$")
            return
        self.in_word = True
        self._flush_literal()
        self.parts.append(Part(name, variable=True))


def parse(line: str) -> list[Step]:
    """Parse one command line into steps; raises ShellSyntaxError."""
    return _Lexer(line).run()
