#!/bin/sh
# java.sh PREFIX - the Java binding as Maven users get it: `mvn install` of
# bindings/java (after `make`) puts the jar, its sources jar and its javadoc
# jar into a fresh local repository; a separate Maven project outside the tree
# (test/outside/java) declares the dependency and is built with that local
# repository (-Dmaven.repo.local, plugins downloaded from Central); its
# program runs with no java.library.path and no LD_LIBRARY_PATH (the jar
# carries libindexbus_jni.so) and exchanges messages with the installed CLI.
set -u
PREFIX=$1; IB=$PREFIX/bin/indexbus
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
repo=$work/m2
unset LD_LIBRARY_PATH
B=${B:-build}
if (cd "$here/../../bindings/java" && mvn -B -ntp -q -DskipTests -Dindexbus.build="$B" \
        -Dmaven.repo.local="$repo" install) >"$work/install.log" 2>&1; then
    ok "mvn install of the binding"
else
    bad "mvn install of the binding"; tail -n 30 "$work/install.log"
fi
art=$repo/io/indexbus/indexbus/1.0.0
for j in indexbus-1.0.0.jar indexbus-1.0.0-sources.jar indexbus-1.0.0-javadoc.jar; do
    if [ -f "$art/$j" ]; then ok "installed $j"; else bad "installed $j"; fi
done
cp -r "$here/java" "$work/app"
if (cd "$work/app" && mvn -B -ntp -q -Dmaven.repo.local="$repo" package \
        dependency:build-classpath -Dmdep.outputFile=cp.txt) >"$work/app.log" 2>&1; then
    ok "outside project builds against the installed jar"
    cp="$work/app/target/classes:$(cat "$work/app/cp.txt")"
    exchange "Java (Maven)" java -cp "$cp" peer.Peer
else
    bad "outside project builds against the installed jar"; tail -n 30 "$work/app.log"
fi
done_ outside-java
