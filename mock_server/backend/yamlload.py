"""YAML fixture documents, parsed within bounds: PyYAML's safe loader (libyaml's parser
when PyYAML has it), composed without recursion and within a document's ``Limits``.

Imported only when a fixture file is YAML and the parsed-file cache (``filecache``) does not
already have it: a start whose fixtures all come from the cache never imports PyYAML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from .fixtures import MAX_DEPTH, MAX_INT_CHARS, Limits, YamlError, TooLarge, yaml_error


def load(text: str, limits: Limits):
    """The single document of ``text``; ``YamlError`` where it does not parse, ``TooLarge``
    where it crosses ``limits`` or ``MAX_DEPTH``."""
    try:
        return _load(text, limits)
    except yaml.YAMLError as exc:
        raise YamlError(*yaml_error(exc)) from None


if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it


class _BoundedLoader(_BaseLoader):
    """PyYAML's safe loader, parsing with libyaml when available, composed by
    ``_compose`` (iterative, bounded) instead of PyYAML's recursive composer (libyaml's
    one crashes the process on deep nesting; the Python one raises RecursionError)."""

    def construct_yaml_int(self, node):
        value = self.construct_scalar(node)
        if len(value) > MAX_INT_CHARS:
            raise TooLarge(f"an integer longer than {MAX_INT_CHARS} characters", node.start_mark)
        return super().construct_yaml_int(node)

    def construct_timestamp_as_text(self, node):
        return self.construct_scalar(node)


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)
_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _BoundedLoader.construct_timestamp_as_text)


def _load(text: str, limits: Limits):
    loader = _BoundedLoader(text)
    try:
        node = _compose(loader, limits)
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def _compose(loader, limits: Limits) -> yaml.Node | None:
    """The single document's node graph, as PyYAML's composer builds it, without recursion
    and within ``MAX_DEPTH`` and ``limits``. An anchor is usable once its node
    is complete, so an alias inside its own anchor is an undefined alias (no cycles)."""
    from yaml.composer import ComposerError
    from yaml.events import (
        AliasEvent,
        DocumentEndEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
    )

    loader.get_event()  # StreamStartEvent
    if loader.check_event(StreamEndEvent):
        return None
    loader.get_event()  # DocumentStartEvent
    anchors: dict[str, tuple[yaml.Node, int, int]] = {}  # node, its values, its characters
    open_: list[list] = []  # [node, anchor, values before it, characters before it, key]
    root: Any = None
    nodes = text = 0
    node: Any

    def count(n: int, chars: int, mark) -> None:
        nonlocal nodes, text
        nodes += n
        text += chars
        if nodes > limits.nodes:
            raise TooLarge(f"more than {limits.nodes} values (aliases counted at every use)", mark)
        if text > limits.text:
            raise TooLarge(f"more than {limits.text} characters of text (aliases counted at every use)", mark)

    def attach(node: yaml.Node) -> None:
        nonlocal root
        if not open_:
            root = node
            return
        frame = open_[-1]
        parent = frame[0]
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
        elif frame[4] is None:
            frame[4] = node
        else:
            parent.value.append((frame[4], node))
            frame[4] = None

    def anchor(name: str | None, node: yaml.Node, n: int, chars: int, mark) -> None:
        if name is None:
            return
        if name in anchors:
            raise ComposerError(
                f"found duplicate anchor {name!r}; first occurrence",
                anchors[name][0].start_mark,
                "second occurrence",
                mark,
            )
        anchors[name] = (node, n, chars)

    while True:
        event = loader.get_event()
        start: Any = event.start_mark  # libyaml's Mark when parsed by CSafeLoader
        if isinstance(event, ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            end: Any = event.end_mark
            node = yaml.ScalarNode(tag, event.value, start, end, style=event.style)
            count(1, len(event.value), event.start_mark)
            anchor(event.anchor, node, 1, len(event.value), event.start_mark)
            attach(node)
        elif isinstance(event, AliasEvent):
            if event.anchor not in anchors:
                raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", start)
            node, n, chars = anchors[event.anchor]
            count(n, chars, event.start_mark)
            attach(node)
        elif isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            if len(open_) >= MAX_DEPTH:
                raise TooLarge(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
            sequence = isinstance(event, SequenceStartEvent)
            kind = yaml.SequenceNode if sequence else yaml.MappingNode
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(kind, None, event.implicit)
            node = kind(tag, [], start, None, flow_style=event.flow_style)
            count(1, 0, event.start_mark)
            attach(node)
            open_.append([node, event.anchor, nodes - 1, text, None])
        elif isinstance(event, (SequenceEndEvent, MappingEndEvent)):
            node, name, nodes_before, text_before, _ = open_.pop()
            node.end_mark = event.end_mark
            anchor(name, node, nodes - nodes_before, text - text_before, node.start_mark)
        elif isinstance(event, DocumentEndEvent):
            break
    if not loader.check_event(StreamEndEvent):
        event = loader.get_event()
        raise ComposerError(
            "expected a single document in the stream",
            root.start_mark,
            "but found another document",
            event.start_mark,
        )
    return root
