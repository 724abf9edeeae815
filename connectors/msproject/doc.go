// Package msproject reads Microsoft Project schedules into typed records: MSPDI XML
// ("Save As XML", Project 2002–365), MPX 4.0 (Project 98 and localized variants),
// and CSV/XLSX task exports made with Project's Export Wizard.
//
// ParseFile detects the format by content and returns a Project: project
// properties, tasks (with baselines 0–10, predecessor links, custom-field values
// and timephased data), resources with cost-rate tables, assignments, calendars and
// custom-field definitions. Values are converted to natural units while reading:
// money from MSPDI's hundredths to currency units, xsd:duration and displayed
// durations ("5 days", "2 ed") to minutes using the file's own minutes per day,
// link lag and slack from tenths of a minute to minutes. Dates are wall-clock times
// in the project's calendar and are never shifted between time zones.
//
// The MSPDI reader streams with encoding/xml and keeps only the records, so memory
// follows the number of tasks, not the size of the file; Options.MaxBytes bounds
// what is read at all, and documents declaring DTD entities are refused. Every
// error is a *ParseError naming the file and the line (XML, MPX, CSV) or the sheet,
// row and cell (XLSX).
//
// Binary .mpp files are detected and rejected with advice to save as XML. Reading
// them would take an OLE2 compound-file reader (github.com/richardlehane/mscfb is a
// solid Go one) plus a port of MPXJ's MPP9/MPP12/MPP14 readers for the
// undocumented var-data/fixed-data streams of tasks, resources and assignments —
// several thousand lines, validated against the paired mpp/ and mspdi/ samples. As
// MPXJ is LGPL-2.1, a port is a derivative work: a licensing decision before it is
// an engineering one.
package msproject
