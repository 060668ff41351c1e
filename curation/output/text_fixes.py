"""FineWeb-2's two text fixes, with datatrove 0.10's semantics.

- `fix_mojibake`: `FTFYFormatter`'s configuration (datatrove `pipeline/formatters/ftfy.py`): encoding repairs,
  HTML entities where the text is not HTML, C1 controls, terminal escapes, control characters; no normalization,
  no ligature, width, quote or line-break changes ("models should recognize a wide variety of characters").
- `fix_table_lines`: `SymbolLinesFormatter(symbols_to_remove=["|"], replace_char="\\n")`, which FineWeb-2 runs "to
  fix trafilatura table artifacts": each run of lines made only of `|` and spaces becomes one empty line. A text
  with no such line is returned as it is (datatrove's line split would also rewrite its other line endings).
"""

from functools import cache


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
    import ftfy

    return ftfy.fix_text(text, config=_ftfy_config())


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
