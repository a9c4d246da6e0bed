"""Reading retrieved files as text, whatever bytes a program or a damaged file system left in them."""

from __future__ import annotations

from aiida import orm


def retrieved_text(retrieved: orm.FolderData, name: str) -> str:
    """The retrieved file ``name`` as text; bytes that are not UTF-8 become U+FFFD instead of an exception."""
    return retrieved.base.repository.get_object_content(name, mode="rb").decode("utf-8", errors="replace")
