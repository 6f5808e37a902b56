; Inno Setup 6 script: SCC Desktop for one Windows user, without administrator rights.
; Build the bundle first (installer/build), then on Windows:
;   iscc /DAppVersion=0.1.0 installer\scc_desktop.iss     -> dist\scc-desktop-setup-0.1.0.exe
; (installer/README.md has the steps.)

#define AppName "SCC Desktop"
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define BundleDir "..\dist\scc-desktop"
; The user's data: platformdirs' per-user folder on Windows (scc_desktop/paths.py) holds the
; encrypted replica and its key file, settings.json, the demo's folder and Logs\.
#define DataFolder "{localappdata}\scc-desktop"

[Setup]
; Never change AppId: a newer installer with the same AppId upgrades in place (same folder,
; shortcuts replaced, the user's data untouched).
AppId={{7E3A1C52-4F0B-4C8E-9D61-2B5A8F3C9E14}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=SCC Desktop
; Per user: no administrator rights asked, installed under %LOCALAPPDATA%\Programs.
PrivilegesRequired=lowest
DefaultDirName={userpf}\{#AppName}
UsePreviousAppDir=yes
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\dist
OutputBaseFilename=scc-desktop-setup-{#AppVersion}
SetupIconFile=windows\scc-desktop.ico
UninstallDisplayIcon={app}\SCC Desktop.exe
UninstallDisplayName={#AppName}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
; A running copy is asked to close before its files are replaced.
CloseApplications=yes
RestartApplications=no

[InstallDelete]
; An upgrade replaces the program whole: no module of the old version may linger beside the new.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
; The windowed executable: no console window beside the app.
Name: "{group}\{#AppName}"; Filename: "{app}\SCC Desktop.exe"; WorkingDir: "{app}"
Name: "{group}\{#AppName} demo (simulated data)"; Filename: "{app}\SCC Desktop.exe"; Parameters: "demo"; \
  WorkingDir: "{app}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"

[Run]
Filename: "{app}\SCC Desktop.exe"; Description: "Start {#AppName}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Files the program itself writes inside its folder (none expected; PyInstaller leaves none).
Type: dirifempty; Name: "{app}"

[Code]
function DataDir(): String;
begin
  Result := ExpandConstant('{#DataFolder}');
end;

// Uninstalling keeps the user's encrypted replica, settings and logs unless they say otherwise:
// the replica may hold the room's records that have not reached the hub yet. A silent uninstall
// (an IT department's) always keeps them.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep <> usPostUninstall) or not DirExists(DataDir()) or UninstallSilent() then
    Exit;
  if MsgBox('SCC Desktop has been removed.' + #13#10#13#10 +
            'Your data is still on this computer: the encrypted replica and its key file, ' +
            'settings and logs, in' + #13#10 + DataDir() + #13#10#13#10 +
            'Keep it (No) if you will reinstall or upgrade: nothing is lost. ' +
            'Delete it (Yes) only if this computer will not be used for the room again; records not yet ' +
            'synced to the hub are lost and this cannot be undone.' + #13#10#13#10 +
            'Delete your SCC Desktop data now?',
            mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
  begin
    if not DelTree(DataDir(), True, True, True) then
      MsgBox('Some files in ' + DataDir() + ' could not be deleted (in use?). Delete the folder by hand.',
             mbError, MB_OK);
  end;
end;
