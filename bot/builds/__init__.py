"""Heavy files built in a child process (:mod:`.runner`) and the builds themselves
(:mod:`.files`)."""

from bot.builds.runner import BuildEnv, BuilderBusy, BuildFailed, BuiltFile, FileBuilder

__all__ = ["BuildEnv", "BuildFailed", "BuilderBusy", "BuiltFile", "FileBuilder"]
