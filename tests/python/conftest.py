"""Shared fixtures: fresh stage-2 tables and the corpus."""

import os

import pytest

import ptspec


@pytest.fixture
def s2():
    """A 4K-granule, 40-bit stage-2 (KVM's default), nothing mapped."""
    return ptspec.Stage2(granule=4096, ia_bits=40)


@pytest.fixture(scope="session")
def corpus_cases():
    return ptspec.list_corpus("arm64.stage2")


def pytest_report_header(config):
    return f"ptspec {ptspec.__version__} from {os.path.dirname(ptspec.__file__)}"
