# NIJA: every target creates the virtual environment it needs; nothing is installed by hand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml .ci/constraints.txt 2>/dev/null | sha1sum | cut -c1-12)
CDK_DIR := infra_cdk
MOBILE := mobile
# node_modules of the app, reinstalled when its lockfile changes (as the venv is by the constraints)
MOBILE_STAMP := $(MOBILE)/node_modules/.installed-$(shell sha1sum $(MOBILE)/package-lock.json 2>/dev/null | cut -c1-12)
CDK := $(CDK_DIR)/node_modules/.bin/cdk
STAGE ?= dev
PYTEST_ARGS ?=
# No credentials needed to synthesize: skip the EC2 metadata probe; the app falls back to a placeholder account.
OFFLINE_AWS := AWS_EC2_METADATA_DISABLED=true
# jsii prints a banner on Node.js 20 (end of life); it works, and operators may use Node.js 22+.
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: all install run test test-fast test-mobile mobile-install mobile-web bench synth deploy lint format layers lock clean openapi

all: test

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install -q --disable-pip-version-check -c .ci/constraints.txt -e '.[brokers,local,infra,dev]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

$(MOBILE_STAMP):
	cd $(MOBILE) && npm ci --no-audit --no-fund --loglevel=error
	@rm -f $(MOBILE)/node_modules/.installed-* && touch $@

mobile-install: $(MOBILE_STAMP)

# The app's web build, served by the local stack at /app; rebuilt when the lockfile or a source changes.
MOBILE_SOURCES := $(shell find $(MOBILE)/src $(MOBILE)/assets -type f 2>/dev/null) $(MOBILE)/app.json $(MOBILE)/package-lock.json
$(MOBILE)/dist/index.html: $(MOBILE_STAMP) $(MOBILE_SOURCES)
	cd $(MOBILE) && EXPO_OFFLINE=1 CI=1 npx expo export --platform web --output-dir dist >/dev/null
	@touch $@

## mobile-web: build the app for the web (mobile/dist)
mobile-web: $(MOBILE)/dist/index.html

# The browser the app's end-to-end tests drive: Debian's chromium (Playwright cannot download one here).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

$(CDK): $(CDK_DIR)/package.json $(CDK_DIR)/package-lock.json
	cd $(CDK_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## run: start the whole platform locally (moto server, API, executors, demo user, the app's web build)
run: $(STAMP) $(MOBILE)/dist/index.html
	$(BIN)/python -m nija.local $(RUN_ARGS)

## test: every test: unit, integration, infrastructure, end to end, and the app's
# (infra_cdk's node packages: the CDK CLI, and the IAM simulator of the deployment contract test)
test: $(STAMP) $(CDK) $(MOBILE_STAMP) $(MOBILE)/dist/index.html $(CHROMIUM)
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)
	$(BIN)/python -m pytest -p no:xdist -q tests/integration/test_schemathesis.py
	$(MAKE) --no-print-directory test-mobile

## test-mobile: the app's types against the OpenAPI document, tsc, eslint and its jest tests
test-mobile: $(MOBILE_STAMP)
	cd $(MOBILE) && EXPO_OFFLINE=1 npm run -s check

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit -q

bench: $(STAMP) $(MOBILE)/dist/index.html $(CHROMIUM)
	$(BIN)/python -m bench

## openapi: rewrite the committed OpenAPI document (shared/nija/api/openapi.json) from the code
openapi: $(STAMP) $(MOBILE_STAMP)
	$(BIN)/python -m nija.api.openapi --write
	cd $(MOBILE) && npm run -s typegen

## layers: build the Lambda layers into layers/build (cached by input hash; synth does this too)
layers: $(STAMP)
	$(BIN)/python layers/build.py

## synth: build the layers, synthesize STAGE (dev) offline, run cdk-nag (in the app) and cfn-lint
CDK_WEB_ORIGIN = $(if $(filter undefined,$(origin WEB_ORIGIN)),,-c web_origin=$(WEB_ORIGIN))
# Each given on the command line (make deploy STAGE=prod SES_FROM=no-reply@example.com) replaces the
# stage's setting (infra_cdk/stage.py): the SES sender (and SES_DOMAIN when the domain is the verified
# identity), the monthly cost budget in dollars and the address its alerts go to besides the alarm topic.
CDK_CONTEXT = $(CDK_WEB_ORIGIN) $(if $(SES_FROM),-c ses_from=$(SES_FROM)) \
	$(if $(SES_DOMAIN),-c ses_domain=$(SES_DOMAIN)) $(if $(BUDGET_USD),-c budget_usd=$(BUDGET_USD)) \
	$(if $(BUDGET_EMAIL),-c budget_email=$(BUDGET_EMAIL)) $(if $(ADMIN_IPS),-c admin_ips=$(ADMIN_IPS))

synth: $(STAMP) $(CDK)
	rm -rf cdk.out
	$(OFFLINE_AWS) $(CDK) synth --quiet --no-notices -c stage=$(STAGE) $(CDK_CONTEXT)
	$(BIN)/cfn-lint --non-zero-exit-code error --ignore-checks W3005 -- cdk.out/*.template.json

## deploy: deploy STAGE (dev) with the pinned CDK CLI and the current AWS credentials
## (WEB_ORIGIN=https://app.example.com: the one web origin allowed to call the API; "" for none;
## SES_FROM=no-reply@example.com [SES_DOMAIN=example.com]: the email sender, which prod requires;
## BUDGET_USD=800 BUDGET_EMAIL=ops@example.com: the monthly cost budget and who hears of it;
## ADMIN_IPS=203.0.113.0/24,198.51.100.7: the only networks the admin API answers)
deploy: $(STAMP) $(CDK)
	$(CDK) deploy --all -c stage=$(STAGE) $(CDK_CONTEXT) --require-approval broadening

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## lock: re-resolve every Python dependency and pin the result
lock:
	rm -rf /tmp/nija-lock && $(PYTHON) -m venv /tmp/nija-lock
	/tmp/nija-lock/bin/pip install -q --disable-pip-version-check '.[brokers,local,infra,dev]'
	/tmp/nija-lock/bin/pip freeze --exclude nija --exclude pip > .ci/constraints.txt
	rm -rf build

clean:
	rm -rf $(VENV) cdk.out layers/build .pytest_cache $(MOBILE)/node_modules $(MOBILE)/dist
