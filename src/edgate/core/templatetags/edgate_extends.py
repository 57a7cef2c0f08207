"""`{% extends %}` without walking the base template at every render.

Django's `ExtendsNode.render` finds the root template's `{% block %}` nodes by walking its whole
node tree (`get_nodes_by_type(BlockNode)`) every time a page that extends it is rendered: ~150
calls for `core/base.html` and the pages on it, ~4% of a cheap page. A compiled template never
changes, and the cached loader keeps it, so the root's blocks are found once per compiled
template and kept on it. Everything else is Django's (5.2) render as written. Installed for every
template as a builtin (settings/base.py TEMPLATES "builtins"), after Django's own, so this
`extends` is the one the parser uses.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Template, TextNode
from django.template.context import Context
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockContext, BlockNode, ExtendsNode, do_extends
from django.utils.safestring import SafeString

register = template.Library()

_ROOT_BLOCKS = "_edgate_root_blocks"  # on the parent Template: its blocks if it is a root, else None


def root_blocks(parent: Template) -> dict[str, BlockNode] | None:
    """The `{% block %}` nodes of `parent` by name when it extends nothing (a root), else None:
    as Django decides it (the first node that is not text is not an ExtendsNode), once."""
    try:
        return parent.__dict__[_ROOT_BLOCKS]
    except KeyError:
        pass
    blocks: dict[str, Any] | None = None
    for node in parent.nodelist:
        if not isinstance(node, TextNode):
            if not isinstance(node, ExtendsNode):
                blocks = {n.name: n for n in parent.nodelist.get_nodes_by_type(BlockNode)}
            break
    parent.__dict__[_ROOT_BLOCKS] = blocks  # the same answer whichever thread writes it
    return blocks


class KeptBlocksExtendsNode(ExtendsNode):
    def render(self, context: Context) -> SafeString:
        compiled_parent = self.get_parent(context)

        if BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
        block_context = context.render_context[BLOCK_CONTEXT_KEY]

        # Add the block nodes from this node to the block context
        block_context.add_blocks(self.blocks)

        # A root parent's own blocks too (found once: root_blocks). add_blocks only reads the dict.
        blocks = root_blocks(compiled_parent)
        if blocks is not None:
            block_context.add_blocks(blocks)

        # Call Template._render explicitly so the parser context stays
        # the same.
        with context.render_context.push_state(compiled_parent, isolated_context=False):
            return compiled_parent._render(context)


@register.tag("extends")
def kept_blocks_extends(parser: Any, token: Any) -> KeptBlocksExtendsNode:
    node = do_extends(parser, token)
    return KeptBlocksExtendsNode(node.nodelist, node.parent_name, node.template_dirs)
