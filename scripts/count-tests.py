"""Counts Swift Testing results from swift test's xunit output and prints the closing line.

Usage: count-tests.py RESULTS_DIR SWIFT_TEST_EXIT_STATUS
Exits non-zero when swift test failed, when any test failed, or when no test ran.
"""
import glob
import sys
import xml.etree.ElementTree as ET

results_dir, status = sys.argv[1], int(sys.argv[2])
passed = failed = skipped = 0
for path in glob.glob(f"{results_dir}/xunit*.xml"):
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
if status != 0 or failed or passed == 0:
    sys.exit(1)
