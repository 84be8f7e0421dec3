# Makes plain `nbgrader <command>` work from the repository root. The settings live in
# autograder/nbgrader_config.py.
import os

c = get_config()  # noqa: F821 (provided by traitlets when it runs this file)
load_subconfig(os.path.join(os.path.dirname(os.path.abspath(__file__)), "autograder", "nbgrader_config.py"))  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
