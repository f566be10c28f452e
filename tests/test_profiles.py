import pytest

from prodimg_lib.course import devices, env
from prodimg_lib.course import profiles
from prodimg_lib.course.profiles import get_profile


def test_three_profiles_growing_in_size():
    smoke, cpu, gpu = (get_profile(n) for n in ("smoke", "cpu", "gpu"))
    assert not smoke.full_data and cpu.full_data and gpu.full_data
    assert smoke.epochs <= cpu.epochs <= gpu.epochs
    assert smoke.width <= cpu.width <= gpu.width


def test_names_are_case_insensitive():
    assert get_profile(" CPU ").name == "cpu"


def test_unknown_profile_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown profile 'laptop'; choose one of smoke, cpu, gpu"):
        get_profile("laptop")


def test_overrides_replace_fields_and_reject_unknown_ones():
    assert get_profile("cpu", epochs=2).epochs == 2
    with pytest.raises(ValueError, match="unknown profile field"):
        get_profile("cpu", epochz=2)


def test_environment_variable_wins(monkeypatch):
    monkeypatch.setenv(profiles.ENV_PROFILE, "gpu")
    assert get_profile().name == "gpu"


@pytest.mark.parametrize("gpus, expected", [([], "cpu"), (["/physical_device:GPU:0"], "gpu")])
def test_default_follows_the_hardware(monkeypatch, gpus, expected):
    monkeypatch.delenv(profiles.ENV_PROFILE, raising=False)
    monkeypatch.setattr(devices, "gpu_names", lambda: gpus)
    assert get_profile().name == expected


def test_this_machine_has_no_gpu_so_default_is_cpu(monkeypatch):
    monkeypatch.delenv(profiles.ENV_PROFILE, raising=False)
    assert profiles.default_profile_name() == ("gpu" if devices.gpu_names() else "cpu")


def test_environment_report_names_the_data_source():
    report = env.environment_report()
    assert report["keras backend"] in {"tensorflow", "jax", "torch", "numpy"}
    assert "checksum verified" in report["Fashion-MNIST (sample)"]
    assert "Fashion-MNIST (full)" in env.format_report(report)


@pytest.mark.parametrize("value, expected", [("off", None), ("OFF", None), ("1200", 1200.0), (" 90.5 ", 90.5)])
def test_the_train_budget_variable_replaces_the_profiles_budget(monkeypatch, value, expected):
    monkeypatch.setenv("PRODIMG_TRAIN_BUDGET", value)
    assert get_profile("cpu").train_budget_s == expected
    assert get_profile("gpu").train_budget_s == expected


@pytest.mark.parametrize("bad", ["0", "-5", "nan", "inf", "soon"])
def test_a_bad_train_budget_variable_is_refused(monkeypatch, bad):
    monkeypatch.setenv("PRODIMG_TRAIN_BUDGET", bad)
    with pytest.raises(ValueError, match="PRODIMG_TRAIN_BUDGET must be 'off' or a positive number of seconds"):
        get_profile("cpu")
