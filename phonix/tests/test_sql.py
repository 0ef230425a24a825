"""Array literals built for raw SQL read back in PostgreSQL as the values they were made of."""

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from phonix.sql import text_array_literal

pytestmark = pytest.mark.django_db

# PostgreSQL text holds any character but NUL.
TEXT = st.text(st.characters(blacklist_characters="\x00"), max_size=30)


def _read_back(literal: str, type_: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{type_}[]", [literal])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("texts", [
    ["batch:1", 'a "quoted" memo', "back\\slash", "{braces},commas", "NULL", "", " spaced ", "多语言"],
    [],
])
def test_a_text_array_literal_reads_back_as_its_texts(texts):
    assert _read_back(text_array_literal(texts), "text") == texts


def test_ints_and_none_read_back_as_ints_and_nulls():
    assert _read_back(text_array_literal([5, None, 7]), "bigint") == [5, None, 7]


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXT, max_size=8))
def test_any_texts_read_back_unchanged(texts):
    assert _read_back(text_array_literal(texts), "text") == texts
