# tools/indexbus/cli.mk - the operators' CLI checks; included by the top Makefile.
#   make check-cli-ops     list, info/top/recover --json (shapes checked, docs/CLI.md's
#                          examples too), stat --prometheus through prometheus_client's
#                          parser and over HTTP on 127.0.0.1, sub --follow
#   make check-cli-top     `indexbus top` driven in tmux (send-keys, capture-pane)
#   make check-cli-readme  the README's `indexbus` example, run as written
# prometheus_client comes from PyPI into a venv under the build dir (made once).

OPS_VENV := $(B)/ops-venv

.PHONY: check-cli-ops check-cli-top check-cli-readme check-cli-operators

$(OPS_VENV)/.ok:
	@sh tools/deps.sh check --for check-cli-ops python3 python3-venv
	rm -rf $(OPS_VENV)
	python3 -m venv $(OPS_VENV)
	$(OPS_VENV)/bin/python -m pip install -q prometheus_client
	@touch $@

check-cli-ops: all $(OPS_VENV)/.ok
	@sh test/cli-ops.sh $(B) $(OPS_VENV)/bin/python

check-cli-top: all
	@sh tools/deps.sh check --for check-cli-top tmux
	@sh test/cli-top.sh $(B)

check-cli-readme: all
	@sh test/cli-readme.sh $(B)

check-cli-operators: check-cli-ops check-cli-top check-cli-readme
