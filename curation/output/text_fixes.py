"""FineWeb-2's two text fixes, with datatrove 0.10's semantics.

- `fix_mojibake`: `FTFYFormatter`'s configuration (datatrove `pipeline/formatters/ftfy.py`): encoding repairs,
  HTML entities where the text is not HTML, C1 controls, terminal escapes, control characters; no normalization,
  no ligature, width, quote or line-break changes ("models should recognize a wide variety of characters").
- `fix_table_lines`: `SymbolLinesFormatter(symbols_to_remove=["|"], replace_char="\\n")`, which FineWeb-2 runs "to
  fix trafilatura table artifacts": each run of lines made only of `|` and spaces becomes one empty line. A text
  with no such line is returned as it is (datatrove's line split would also rewrite its other line endings).
"""

from functools import cache

import numpy as np


@cache
def _ftfy_config():
    from ftfy import TextFixerConfig

    return TextFixerConfig(
        unescape_html="auto",
        remove_terminal_escapes=True,
        fix_encoding=True,
        restore_byte_a0=True,
        replace_lossy_sequences=True,
        decode_inconsistent_utf8=True,
        fix_c1_controls=True,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        fix_surrogates=True,
        remove_control_chars=True,
        normalization=None,
    )


def fix_mojibake(text: str) -> str:
    """ftfy.fix_text with FTFYFormatter's settings, run only on the segments (ftfy's own: lines) where one of its
    steps can act: most texts have none, and a text with mojibake mostly has it on a few lines."""
    marks = _marks(text)
    if not marks.size:
        return text
    import ftfy

    config = _ftfy_config()
    if len(text) > config.max_decode_length:  # ftfy also cuts lines there: leave it every segment
        return ftfy.fix_text(text, config=config)
    first_tag = text.find("<")  # from the segment holding it on, ftfy's "auto" stops unescaping HTML
    out, done = [], 0
    for mark in marks.tolist():
        if mark < done:
            continue
        start, end = text.rfind("\n", 0, mark) + 1, text.find("\n", mark) + 1 or len(text)
        segment_config = config
        if first_tag != -1 and first_tag < end:
            segment_config = config._replace(unescape_html=False)
        out += [text[done:start], ftfy.fix_and_explain(text[start:end], segment_config)[0]]
        done = end
    out.append(text[done:])
    return "".join(out)


def _could_change(text: str) -> bool:
    """False only when no step of that configuration can act on any line of `text` (see `_marks`)."""
    return bool(_marks(text).size)


def _marks(text: str) -> np.ndarray:
    """Sorted positions of `text` such that ftfy can change only the lines that hold one (empty: none): ftfy fixes
    line by line, and each step needs something these whole-text searches find. Its encoding repair needs a line its
    badness pattern flags (any such match holds a seed, `_seeds`); entities need `&...;`; the C1, surrogate,
    terminal-escape and control-character steps need those characters. Held to ftfy itself by
    tests/unit/test_output_fixes.py."""
    bad, line_start, tables, entity = _checks()
    triggers, suspicious = tables
    codes = np.minimum(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32), _BMP)
    found = [np.flatnonzero(triggers[codes])]
    if "&" in text:
        found.append(np.array([m.start() for m in entity.finditer(text)], dtype=np.int64))
    seeds = _seeds(codes, np.flatnonzero(suspicious[codes]))
    if seeds.size and (bad.search(_around(text, seeds)) or line_start.search(text)):
        found.append(seeds)  # every seed, not only those of a match: more lines to ftfy, never fewer
    return np.unique(np.concatenate(found)) if len(found) > 1 else found[0]


# ftfy's badness pattern (tests/unit/test_output_fixes.py checks it on the pattern itself): every alternative is at
# most 7 characters long, holds a C1 control, one of Œ œ Ã Â, or two characters that only characters written in
# the pattern (or C1 controls) can be, and has at most 2 characters before the first of those.
_SPAN, _BEFORE, _BMP = 7, 2, 0x10000
_LONE = np.array([ord(c) for c in "ŒœÃÂ"], dtype=np.uint32)


def _seeds(codes: np.ndarray, suspicious: np.ndarray) -> np.ndarray:
    """Where a badness match could have its first such character: one with another fewer than 7 characters away,
    or one of Œ œ Ã Â."""
    if not suspicious.size:
        return suspicious
    near = np.diff(suspicious) < _SPAN
    close = np.zeros(suspicious.size, dtype=bool)
    close[:-1] |= near
    close[1:] |= near
    found = codes[suspicious]
    lone = (found == _LONE[0]) | (found == _LONE[1]) | (found == _LONE[2]) | (found == _LONE[3])
    return suspicious[close | lone]


def _around(text: str, seeds: np.ndarray) -> str:
    """The text's stretches from 2 characters before each seed to 7 after it, joined by NUL: every badness match
    lies whole inside one stretch, and a NUL can only add matches, never hide one, so a text judged clean here is
    clean (the text itself holds no NUL: that is a control character, caught before)."""
    starts = np.maximum(seeds - _BEFORE, 0)
    ends = np.maximum.accumulate(seeds + _SPAN)
    opens = np.concatenate(([True], starts[1:] > ends[:-1]))
    closes = np.concatenate((opens[1:], [True]))
    return "\x00".join(text[a:b] for a, b in zip(starts[opens].tolist(), ends[closes].tolist(), strict=True))


@cache
def _checks():
    """ftfy's badness pattern, its line-start alternative, two code-point tables (the characters the other steps
    act on; the characters the badness pattern names, C1 controls included; one last entry, False, stands for every
    code point beyond the BMP: none is either), and its entity pattern."""
    import re

    from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES
    from ftfy.chardata import CONTROL_CHARS, HTML_ENTITY_RE

    assert all(code < _BMP for code in CONTROL_CHARS) and all(ord(c) < _BMP for c in BADNESS_RE.pattern)
    triggers = np.zeros(_BMP + 1, dtype=bool)
    triggers[[*CONTROL_CHARS, 0x1B, *range(0x80, 0xA0), *range(0xD800, 0xE000)]] = True
    # what the pattern names: its categories' characters (ranges such as à-ñ expanded) and its other literals
    everything = "".join(map(chr, range(0x80, _BMP)))
    named = {c for category in MOJIBAKE_CATEGORIES.values() for c in re.findall(f"[{category}]", everything)}
    named |= {c for c in BADNESS_RE.pattern if ord(c) > 0x7F}
    suspicious = np.zeros(_BMP + 1, dtype=bool)
    suspicious[[ord(c) for c in named]] = True
    return BADNESS_RE, re.compile("(?m)^[ÃÂ] "), (triggers, suspicious), HTML_ENTITY_RE


def ftfy_version() -> str:
    from importlib.metadata import version

    return version("ftfy")


def _is_table_line(line: str) -> bool:
    return line.strip() != "" and all(c == "|" or c == " " for c in line)


def fix_table_lines(text: str) -> tuple[str, int]:
    """The text with runs of `|`-only lines collapsed to one empty line, and how many lines went."""
    if "|" not in text:
        return text, 0
    lines = text.splitlines()
    removed = sum(1 for line in lines if _is_table_line(line))
    if not removed:
        return text, 0
    formatted, in_removed_span = [], False
    for line in lines:
        if _is_table_line(line):
            if not in_removed_span:
                formatted.append("\n")
                in_removed_span = True
        else:
            formatted.append(line)
            in_removed_span = False
    return "\n".join(formatted), removed
