#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: the zip from
# `npm run export -- gradescope autograder.zip` is extracted into /autograder/source, this file among the rest.
set -euo pipefail
cd /autograder/source
# Readable by every uid, whatever modes the zip's extraction gave: student programs run as uids of their own and
# load the course's Node, MQTT.js and the sandbox's own files from here (its answers are not in the zip).
chmod -R go+rX,go-w /autograder/source
export DEBIAN_FRONTEND=noninteractive
apt-get update
# npm installs the course (which brings its own Node 24); Mosquitto: ex8 to ex11; bubblewrap, util-linux
# (setpriv, prlimit) and python3 (the seccomp filter's loader): the sandbox around every student program.
apt-get install -y --no-install-recommends nodejs npm ca-certificates mosquitto bubblewrap util-linux python3
npm ci --no-audit --no-fund
# Which isolation this image gives student programs: the assignment's first starter graded once, as
# run_autograder grades (--sandbox isolated: none at all fails the build here rather than every grade later).
# A copy of the starter: the folder a grade reads is made private to the grader.
source assignment.env
first="${MQTT_COURSE_EXERCISES%%,*}"
check="$(mktemp -d)"
cp -r exercises/"$first"-*/starter/. "$check"
node_modules/.bin/node grader/cli/main.js grade "$first" --dir "$check" --broker embedded --sandbox isolated --json \
  > /tmp/isolation.json || true
rm -rf "$check"
node_modules/.bin/node -e '
  const report = JSON.parse(require("node:fs").readFileSync("/tmp/isolation.json", "utf8") || "{}")
  if (!report.isolation) { console.error("setup.sh: student programs cannot be isolated here; see the error above"); process.exit(1) }
  console.log("isolation: " + report.isolation)
'
