package io.indexbus;

/** Child process for {@link NativeLibraryTest}: loads the binding and reports where from. */
public final class ChildInfo {
    private ChildInfo() {
    }

    public static void main(String[] args) {
        System.out.println("version " + Version.runtime());
        System.out.println("loaded " + NativeLibrary.loadedFrom());
    }
}
