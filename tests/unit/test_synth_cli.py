"""``yibao synth`` prints a Chinese summary and refuses to overwrite drops without --force."""

from __future__ import annotations

from yibao.cli import main


def test_cli_generates_and_summarises(tmp_path, capsys):
    assert (
        main(["synth", "--county", "wenxi-2024", "--people", "500", "--seed", "1", "--out", str(tmp_path)])
        == 0
    )
    out = capsys.readouterr().out
    assert "已生成 wenxi-2024：500 人" in out and "公安/户籍人口_20231225.csv" in out and "注入缺陷" in out
    assert (tmp_path / "_truth" / "persons.parquet").is_file()


def test_cli_refuses_a_folder_with_drops_unless_forced(tmp_path, capsys):
    args = ["synth", "--county", "juye-2024", "--people", "300", "--out", str(tmp_path)]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 2
    assert "--force" in capsys.readouterr().err
    assert main([*args, "--force", "--defect-scale", "0", "--as-of", "2023-10-31"]) == 0
    assert "户籍人口_20231031.csv" in capsys.readouterr().out


def test_cli_rejects_bad_input_in_chinese(tmp_path, capsys):
    assert main(["synth", "--county", "nowhere-2024", "--people", "300", "--out", str(tmp_path)]) == 2
    assert "找不到规则文件" in capsys.readouterr().err
    assert main(["synth", "--county", "wenxi-2024", "--people", "5", "--out", str(tmp_path)]) == 2
    assert "至少为 100" in capsys.readouterr().err
