"""Teacher: everybody's saved work and feedback, behind the teacher passcode."""

from mirror.ui.teacher import teacher_page

teacher_page()
