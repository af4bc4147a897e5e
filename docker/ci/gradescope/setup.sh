#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
# The autograder zip holds setup.sh, run_autograder and source/ (a checkout of this course, without node_modules).
set -euo pipefail
apt-get update
# npm to install the course (which brings its own Node 24), Mosquitto for ex8 to ex11.
apt-get install -y --no-install-recommends nodejs npm mosquitto ca-certificates
cd /autograder/source
npm ci --no-audit --no-fund
