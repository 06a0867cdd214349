import stat

from config import settings as config_settings


def test_without_a_configured_key_a_random_one_is_kept_private_in_var(tmp_path, monkeypatch):
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    monkeypatch.setattr(config_settings, "VAR_DIR", tmp_path / "var")
    first = config_settings._secret_key()
    path = tmp_path / "var" / "secret_key"
    assert len(first) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config_settings._secret_key() == first  # the same key after a restart
    monkeypatch.setattr(config_settings, "VAR_DIR", tmp_path / "other")
    assert config_settings._secret_key() != first  # never a shared, published key


def test_a_configured_key_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "from-the-environment")
    monkeypatch.setattr(config_settings, "VAR_DIR", tmp_path)
    assert config_settings._secret_key() == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()
