"""The SQLAlchemy models; importing this package registers every table on `Base.metadata`."""
from .base import Base, utcnow
from .certificate import Certificate, HolderCheck, SigningKey, SupersededCredential
from .content import Asset, Course, CourseVersion, Lesson, Question, Quiz
from .learning import Enrolment, LessonProgress, QuizAttempt
from .report import MEASURES, ReportFact, ReportPerson, ReportPopulation, ReportSummary, ReportTarget
from .program import Program, ProgramCourse, ProgramGroup, ProgramVersion
from .session import LoginSession, PendingIdentity
from .unit import Unit, UnitChange
from .user import ROLES, User

__all__ = [
    "Asset", "Base", "Certificate", "HolderCheck", "SigningKey", "SupersededCredential", "Course", "CourseVersion",
    "Enrolment", "Lesson", "LessonProgress", "LoginSession", "PendingIdentity", "Program", "ProgramCourse",
    "ProgramGroup", "ProgramVersion", "Question", "Quiz", "QuizAttempt", "MEASURES", "ReportFact", "ReportPerson", "ReportPopulation", "ReportSummary",
    "ReportTarget", "ROLES", "Unit", "UnitChange", "User",
    "utcnow",
]
