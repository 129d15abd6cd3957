using System.Management.Automation.Host;

namespace CitusHa.Testing.PowerShell;

/// <summary>
/// A console of fixed size with no input: what a non-interactive PowerShell host needs so that
/// table formatting is deterministic.
/// </summary>
internal sealed class FixedSizeRawUserInterface : PSHostRawUserInterface
{
    public FixedSizeRawUserInterface(int width)
    {
        BufferSize = new Size(width, 9999);
        WindowSize = new Size(width, 50);
        MaxWindowSize = WindowSize;
        MaxPhysicalWindowSize = WindowSize;
    }

    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

    public override Size BufferSize { get; set; }

    public override Coordinates CursorPosition { get; set; }

    public override int CursorSize { get; set; } = 1;

    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;

    public override bool KeyAvailable => false;

    public override Size MaxPhysicalWindowSize { get; }

    public override Size MaxWindowSize { get; }

    public override Coordinates WindowPosition { get; set; }

    public override Size WindowSize { get; set; }

    public override string WindowTitle { get; set; } = "CitusHa";

    public override void FlushInputBuffer()
    {
    }

    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => new BufferCell[0, 0];

    public override KeyInfo ReadKey(ReadKeyOptions options) => throw new InvalidOperationException("This host cannot read keys: it is not interactive.");

    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill)
    {
    }

    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents)
    {
    }

    public override void SetBufferContents(Rectangle rectangle, BufferCell fill)
    {
    }
}
