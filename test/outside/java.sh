#!/bin/sh
# java.sh PREFIX - the Java binding as Maven users get it: `mvn install` of
# bindings/java (after `make`) puts the jar, its sources jar and its javadoc
# jar into a fresh local repository; a separate Maven project outside the tree
# (test/outside/java) declares the dependency and is built with that local
# repository (-Dmaven.repo.local, plugins downloaded from Central); its
# program runs with no java.library.path and no LD_LIBRARY_PATH (the jar
# carries libindexbus_jni.so) and exchanges messages with the installed CLI, and a
# byte stream and requests each way (streams_and_requests: the stream's
# OutputStream and InputStream views, a call with a borrowed reply and futures,
# a server replying in place).
set -u
PREFIX=$1; IB=$PREFIX/bin/indexbus
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
repo=$work/m2
unset LD_LIBRARY_PATH
B=${B:-build}
binding=$(cd "$here/../../bindings/java" && pwd)
# the version the binding's build gives its jar (the Makefile's VERSION, via .mvn/maven.config)
ver=$(sed -n 's/^-Drevision=//p' "$binding/.mvn/maven.config")
[ -n "$ver" ] || { bad "no -Drevision= in $binding/.mvn/maven.config"; done_ outside-java; exit; }
start=$(date +%s)
if (cd "$binding" && mvn -B -ntp -q -DskipTests -Dindexbus.build="$B" \
        -Dmaven.repo.local="$repo" install) >"$work/install.log" 2>&1; then
    ok "mvn install of the binding"
else
    bad "mvn install of the binding"; tail -n 30 "$work/install.log"
fi
art=$repo/io/indexbus/indexbus/$ver
for j in indexbus-$ver.jar indexbus-$ver-sources.jar indexbus-$ver-javadoc.jar; do
    if [ -f "$art/$j" ]; then ok "installed $j"; else bad "installed $j"; fi
done
pom=$art/indexbus-$ver.pom
if [ -f "$pom" ] && ! grep -q '\${' "$pom"; then ok "installed POM has its version resolved (flattened)"
else bad "installed POM has its version resolved (flattened)"; fi
for tag in name description url license scm developer; do
    grep -q "<$tag>" "$pom" 2>/dev/null || bad "installed POM lacks <$tag> (Maven Central needs it)"
done
cp -r "$here/java" "$work/app"
if (cd "$work/app" && mvn -B -ntp -q -Dmaven.repo.local="$repo" -Dindexbus.version="$ver" package \
        dependency:build-classpath -Dmdep.outputFile=cp.txt) >"$work/app.log" 2>&1; then
    ok "outside project builds against the installed jar"
    cp="$work/app/target/classes:$(cat "$work/app/cp.txt")"
    exchange "Java (Maven)" java -cp "$cp" peer.Peer
    streams_and_requests "Java (Maven)" java -cp "$cp" peer.Peer
else
    bad "outside project builds against the installed jar"; tail -n 30 "$work/app.log"
fi
echo "outside-java: took $(( $(date +%s) - start )) s (Maven downloads into a fresh local repository included)"
done_ outside-java
